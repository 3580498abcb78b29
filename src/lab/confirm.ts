import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export type Confirmation = 'yes' | 'no' | 'refused';

/**
 * Asks `question [y/N]` and reads one line: only y or yes goes on. With `yes` (the `--yes`
 * flag) nothing is asked. Without a terminal and without `--yes` it refuses: a script or a
 * pipe must say `--yes` on purpose, never create or delete by an accident of its input.
 */
export async function confirm(
  question: string,
  io: { input: Readable; out: (text: string) => void },
  options: { yes: boolean },
): Promise<Confirmation> {
  if (options.yes) return 'yes';
  if (!(io.input as Readable & { isTTY?: boolean }).isTTY) return 'refused';
  io.out(`${question} [y/N] `);
  const rl = createInterface({ input: io.input, crlfDelay: Number.POSITIVE_INFINITY });
  const answer = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return /^\s*y(es)?\s*$/i.test(answer) ? 'yes' : 'no';
}
