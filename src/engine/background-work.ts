/** Where background failures go: logged with the incident they concern. */
export type ErrorReporter = (err: unknown, where: string, incidentId?: string) => void;

/**
 * Work nobody awaits (a transition's messages and side effects, a timer's command), kept
 * so that `idle()` can wait for it and a failure is reported instead of lost.
 */
export class BackgroundWork {
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly onError: ErrorReporter) {}

  track(work: Promise<unknown>, incidentId?: string): void {
    const tracked = work.catch((err: unknown) => this.onError(err, 'background', incidentId));
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }

  get size(): number {
    return this.inflight.size;
  }

  /** Resolves when what is running now has ended (new work may have started meanwhile). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }
}
