import { ErrorCodes } from '../core/errors';
import type { CommandResult } from '../engine/commands';
import type { Reply } from './replies';

/**
 * An engine result as a reply. The engine sends refusals about an incident it found to the
 * person as a message too; it cannot for an incident it did not find or one already closed,
 * nor for a start it refused (there is no incident, so no thread, yet), and does not for a
 * decision given outside the incident's conversation (the person is not in its thread).
 */
export function replyTo(result: CommandResult): Reply {
  if (result.ok) return { kind: 'done' };
  // Said to the same person moments ago: counted, not said again (`delivered` keeps it unsaid).
  if (result.quiet)
    return { kind: 'refusal', code: result.code, text: result.message, delivered: true, withHelp: false };
  const unseen =
    result.code === ErrorCodes.IncidentNotFound ||
    result.code === ErrorCodes.IncidentClosed ||
    // Given outside the incident's thread: the engine does not answer there.
    result.code === ErrorCodes.WrongConversation ||
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
