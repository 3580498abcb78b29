import type { IncidentStore } from '../../../src/store/incident-store';
import { describeDispatchLeasesContract } from './dispatch-leases';
import { describeIncidentLogContract } from './incident-log';
import { describeMessageRefsContract } from './message-refs';
import { describeOutboxQueueContract } from './outbox-queue';
import { describeReplicaLeasesContract } from './replica-leases';

/**
 * Every port's contract against one implementation, each suite on fresh stores from `make`.
 * Each suite is typed with only the ports it uses, so a port can be tested on its own.
 */
export function describeStoreContracts(name: string, make: () => Promise<IncidentStore>) {
  describeIncidentLogContract(name, make);
  describeDispatchLeasesContract(name, make);
  describeReplicaLeasesContract(name, make);
  describeOutboxQueueContract(name, make);
  describeMessageRefsContract(name, make);
}
