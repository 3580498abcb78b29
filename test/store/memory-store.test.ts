import { MemoryIncidentStore } from '../../src/store/memory-store';
import { describeStoreContract } from './store-contract';

describeStoreContract('memory', async () => new MemoryIncidentStore());
