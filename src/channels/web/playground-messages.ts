import type { IncidentReader } from '../../conversation/ports';
import type { Delivery, OutMessage } from '../../engine/messages';

/**
 * The playground's messages per incident, as the page polls them. The engine sends two
 * streams: the incident's story (queued in the outbox, each also a `message.posted`
 * transcript entry) and direct messages (progress lines, retry notices). This keeps both in
 * arrival order. An incident this process has not seen yet (the server restarted, the page
 * reloaded) is first filled from its transcript, so its cards can still be answered; story
 * messages the outbox delivers again after that are recognised and not shown twice.
 */
export class PlaygroundMessages {
  private readonly lists = new Map<string, OutMessage[]>();
  /** Story messages read from the transcript that the outbox may still deliver: JSON → count. */
  private readonly seeded = new Map<string, Map<string, number>>();
  private readonly loading = new Map<string, Promise<OutMessage[] | undefined>>();

  constructor(private readonly incidents: Pick<IncidentReader, 'get' | 'transcript'>) {}

  /** The incident's messages from `after` on; undefined when it is not a playground incident. */
  async read(
    incidentId: string,
    after: number,
  ): Promise<{ messages: OutMessage[]; next: number } | undefined> {
    const list = await this.listOf(incidentId);
    if (!list) return undefined;
    return { messages: list.slice(after), next: list.length };
  }

  /** The web channel's sink: keeps a delivery for the page. */
  async add(d: Delivery): Promise<void> {
    const list = await this.listOf(d.incidentId);
    if (!list) return;
    const seeded = this.seeded.get(d.incidentId);
    if (d.outboxId !== undefined && seeded) {
      // Already read from the transcript: this is its delivery, shown once.
      const json = JSON.stringify(d.message);
      const left = seeded.get(json) ?? 0;
      if (left > 0) {
        seeded.set(json, left - 1);
        return;
      }
    }
    list.push(d.message);
  }

  private async listOf(incidentId: string): Promise<OutMessage[] | undefined> {
    const known = this.lists.get(incidentId);
    if (known) return known;
    let pending = this.loading.get(incidentId);
    if (!pending) {
      // One read per incident, however many polls and deliveries ask at once.
      pending = this.load(incidentId);
      this.loading.set(incidentId, pending);
    }
    try {
      return await pending;
    } finally {
      this.loading.delete(incidentId);
    }
  }

  private async load(incidentId: string): Promise<OutMessage[] | undefined> {
    const record = await this.incidents.get(incidentId);
    if (record?.channel.platform !== 'web') return undefined;
    const story = (await this.incidents.transcript(incidentId))
      .filter((e) => e.kind === 'message.posted')
      .map((e) => (e.data as { message: OutMessage }).message);
    const counts = new Map<string, number>();
    for (const m of story) counts.set(JSON.stringify(m), (counts.get(JSON.stringify(m)) ?? 0) + 1);
    const existing = this.lists.get(incidentId);
    if (existing) return existing;
    this.lists.set(incidentId, story);
    this.seeded.set(incidentId, counts);
    return story;
  }
}
