import { z } from 'zod';

/**
 * What every rdp-fix card button carries back, in Slack's button value and in Teams' card
 * data alike: the exact step attempt the card was made for (`i` incident, `s` step, `a`
 * attempt), an answer id (`x`) and the hash of the script the card showed (`h`). Checked at
 * the edge: a value that fails is a forged or stale button.
 */
export const cardFields = {
  i: z.string().max(64),
  s: z.string().max(64),
  a: z.number().int().min(1).max(10_000),
  x: z.string().max(64).optional(),
  h: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
};
