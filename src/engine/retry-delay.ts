/** When a chat message whose delivery failed is tried again. */

/** 1 s, 2 s, 4 s … capped at a minute. */
export function defaultBackoff(attempt: number): number {
  return Math.min(60_000, 1_000 * 2 ** (attempt - 1));
}

/** Retry-After as the platform SDKs report it (Slack's WebClient: `retryAfter` in seconds). */
export function retryAfterMs(err: unknown): number | undefined {
  const seconds = (err as { retryAfter?: unknown } | null)?.retryAfter;
  return typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : undefined;
}
