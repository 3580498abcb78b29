import type { VmOperations } from '../azure/vm-operations';
import type { ApprovalPolicy } from '../core/approval-policy';
import type { IncidentEngine } from '../engine/incident-engine';
import type { IncidentLog } from '../store/incident-store';

export type { IncidentFilter, IncidentRecord } from '../store/incident-store';

/**
 * What the conversation asks of the engine: commands, the script a step runs, the loaded
 * playbooks. A narrow view, so a test can hand in the real engine or a twin.
 */
export type IncidentCommands = Pick<IncidentEngine, 'handle' | 'scriptOf' | 'playbook'>;

/** Finds a VM by name in the scope the agent serves. */
export type VmResolver = Pick<VmOperations, 'resolveVm'>;

/**
 * Read access to incidents and their transcripts (status, history, transcript export, the
 * review pages). Typed by the methods used, so the whole store or a narrow log both fit.
 */
export type IncidentReader = Pick<IncidentLog, 'get' | 'list' | 'transcript'>;

/** Records where an incident's thread lives once a channel has posted its root message. */
export type ThreadSetter = Pick<IncidentLog, 'setThread'>;

/** Everything the conversation core needs, each by its role. */
export interface ConversationPorts {
  engine: IncidentCommands;
  vms: VmResolver;
  incidents: IncidentReader;
  threads: ThreadSetter;
  /** Who may read which incidents (their conversation, or an approver of their platform). */
  policy: ApprovalPolicy;
  /** Where the web pages are served, for links to an incident (`RDPFIX_PUBLIC_URL`). */
  publicUrl?: string | undefined;
}
