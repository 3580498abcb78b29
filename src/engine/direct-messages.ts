import { ErrorCodes } from '../core/errors';
import type { IncidentRecord } from '../store/incident-store';
import type { ErrorReporter } from './background-work';
import type { EngineMetrics } from './engine-metrics';
import type { MessageSink, OutMessage } from './messages';

/**
 * Messages that are not queued: a refusal for the person who clicked, and the "still
 * running" progress updates. Everything that is part of the incident's story goes through
 * the transcript and the outbox instead (`posted`).
 */
export class DirectMessages {
  constructor(
    private readonly sink: MessageSink,
    private readonly metrics: EngineMetrics,
    private readonly onError: ErrorReporter,
  ) {}

  async post(record: IncidentRecord, message: OutMessage): Promise<void> {
    this.metrics.outgoing(1);
    try {
      await this.sink({
        incidentId: record.id,
        channel: record.channel,
        locale: record.locale,
        vm: record.vm,
        message,
      });
    } catch (err) {
      // A chat outage must not lose the incident: what matters is in the transcript already.
      this.onError(err, 'sink', record.id);
      this.metrics.error(ErrorCodes.ChatDeliveryFailed);
    } finally {
      this.metrics.outgoing(-1);
    }
  }
}
