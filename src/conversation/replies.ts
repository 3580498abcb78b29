import type { Localized } from '../core/types';
import type { IncidentRecord } from './ports';

/**
 * What the conversation answers to a command or a click, platform-neutral: each channel
 * renders it in its own format (Block Kit, Teams text, JSON, terminal). One input, one reply.
 */
export type Reply =
  /** The command or click was taken; what follows comes as engine messages. */
  | { kind: 'done' }
  | { kind: 'opened'; incidentId: string }
  /**
   * Not done. `delivered`: the engine also sends the refusal to the person as a message
   * (the thread's ephemeral in Slack), so a channel that shows those need not say it twice.
   * `withHelp`: the word may have been a mistyped subcommand, so the help is worth showing.
   */
  | { kind: 'refusal'; code: string; text: Localized; delivered: boolean; withHelp: boolean }
  | {
      kind: 'text';
      text: Localized /** The incident's thread, when the answer belongs there. */;
      thread?: string;
    }
  | { kind: 'help'; problem?: string }
  | { kind: 'incidentList'; records: IncidentRecord[]; empty: Localized }
  | {
      kind: 'file';
      incidentId: string;
      filename: string;
      title: string;
      markdown: string;
      /** The incident's thread when the command came from the incident's own channel. */
      sameThread?: string;
    }
  | { kind: 'script'; name: string; sha256: string; text: string; thread?: string };
