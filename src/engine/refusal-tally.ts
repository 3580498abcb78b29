import type { TranscriptDraft } from '../core/transcript';

/** How often the same refusal is said again to the same person about the same card. */
export const RefusalAnswerEveryMs = 5_000;
/** Repeats are written once the person stopped pressing for this long (or at shutdown). */
export const RefusalQuietMs = 10_000;
/** A tally nobody added to for this long is forgotten. */
const ForgetAfterMs = 10 * 60_000;

interface Tally {
  incidentId: string;
  draft: TranscriptDraft;
  /** Refusals not in the transcript yet (the first one is written at once). */
  unwritten: number;
  answeredAt: number;
  lastAt: number;
}

/**
 * Refusals of the same person on the same card (an incident, a step attempt, a reason), so
 * that pressing a refused button 300 times writes two transcript entries, not 300, and says
 * the refusal at most once per few seconds. The first refusal is written at once (a crash
 * loses nothing that matters); the repeats are written as one entry with their `count` once
 * the person stops. Kept per replica: with several replicas each keeps its own tally.
 */
export class RefusalTally {
  private readonly tallies = new Map<string, Tally>();

  /** Notes a refusal: whether to write its entry now, and whether to tell the person. */
  note(
    key: string,
    incidentId: string,
    draft: TranscriptDraft,
    now: number,
  ): { write: boolean; answer: boolean } {
    const tally = this.tallies.get(key);
    if (!tally) {
      this.tallies.set(key, { incidentId, draft, unwritten: 0, answeredAt: now, lastAt: now });
      return { write: true, answer: true };
    }
    tally.unwritten += 1;
    tally.lastAt = now;
    const answer = now - tally.answeredAt >= RefusalAnswerEveryMs;
    if (answer) tally.answeredAt = now;
    return { write: false, answer };
  }

  /**
   * The repeats to write now, one entry per card with their count: of tallies quiet for
   * `RefusalQuietMs`, or all of them (`all`, at shutdown). Forgets tallies long idle.
   */
  drain(now: number, all: boolean): { key: string; incidentId: string; draft: TranscriptDraft }[] {
    const out: { key: string; incidentId: string; draft: TranscriptDraft }[] = [];
    for (const [key, tally] of this.tallies) {
      const quiet = now - tally.lastAt;
      if (tally.unwritten > 0 && (all || quiet >= RefusalQuietMs)) {
        const data = { ...tally.draft.data, repeated: true, count: tally.unwritten };
        out.push({ key, incidentId: tally.incidentId, draft: { ...tally.draft, data } });
        tally.unwritten = 0;
      }
      if (tally.unwritten === 0 && (all || quiet >= ForgetAfterMs)) this.tallies.delete(key);
    }
    return out;
  }

  /** Puts back repeats that could not be written (the database did not answer). */
  restore(key: string, count: number): void {
    const tally = this.tallies.get(key);
    if (tally) tally.unwritten += count;
  }

  get size(): number {
    return this.tallies.size;
  }
}
