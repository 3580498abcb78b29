import { z } from 'zod';
import { ResultMarker } from './script-header';

/** The line every playbook script prints last: `RDPFIX-RESULT: {"step", "ok", "log", "data", "error"?}`. */
const scriptResultSchema = z.object({
  step: z.string().min(1),
  ok: z.boolean(),
  log: z.string(),
  data: z.record(z.string(), z.unknown()),
  error: z.string().optional(),
});

export type ScriptResult = z.infer<typeof scriptResultSchema>;

export type ParsedOutput =
  | { readable: true; result: ScriptResult }
  | { readable: false; reason: string; log?: string };

/**
 * Reads the result line from a script's output. Azure keeps only the last 4,096 bytes, so
 * the last marker wins. A missing marker or bad JSON means "unreadable": say so, never guess.
 */
export function parseScriptOutput(stdout: string, expectedScript: string): ParsedOutput {
  const line = stdout
    .split(/\r?\n/)
    .reverse()
    .find((l) => l.startsWith(ResultMarker));
  const log = /[A-Za-z]:\\[^\s"']*rdp-fix\\logs\\[^\s"']+\.log/.exec(stdout)?.[0];
  const unreadable = (reason: string): ParsedOutput =>
    log ? { readable: false, reason, log } : { readable: false, reason };
  if (!line)
    return unreadable(`no ${ResultMarker} line in the output (truncated or the script stopped early)`);
  let json: unknown;
  try {
    json = JSON.parse(line.slice(ResultMarker.length));
  } catch (err) {
    return unreadable(`the ${ResultMarker} line is not valid JSON (${(err as Error).message})`);
  }
  const parsed = scriptResultSchema.safeParse(json);
  if (!parsed.success)
    return unreadable(`the ${ResultMarker} line has the wrong shape: ${parsed.error.issues[0]?.message}`);
  if (parsed.data.step !== expectedScript) {
    return unreadable(`the result names script "${parsed.data.step}", expected "${expectedScript}"`);
  }
  return { readable: true, result: parsed.data };
}
