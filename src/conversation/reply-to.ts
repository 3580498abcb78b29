import { ErrorCodes } from '../core/errors';
import type { CommandResult } from '../engine/commands';
import type { Reply } from './replies';

/**
 * An engine result as a reply. The engine sends refusals about an incident it found to the
 * person as a message too; it cannot for an incident it did not find or one already closed,
 * nor for a start it refused (there is no incident, so no thread, yet).
 */
export function replyTo(result: CommandResult): Reply {
  if (result.ok) return { kind: 'done' };
  // Said to the same person moments ago: counted, not said again (`delivered` keeps it unsaid).
  if (result.quiet)
    return { kind: 'refusal', code: result.code, text: result.message, delivered: true, withHelp: false };
  const unseen =
    result.code === ErrorCodes.IncidentNotFound ||
    result.code === ErrorCodes.IncidentClosed ||
    result.incidentId === undefined;
  return {
    kind: 'refusal',
    code: result.code,
    text: result.message,
    delivered: !unseen,
    // A word that is no VM may be a mistyped subcommand.
    withHelp: result.code === ErrorCodes.VmNotFound,
  };
}
