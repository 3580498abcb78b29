import { isLabCause, type LabCause, labScriptIdOf } from '../lab/lab-causes';
import { Scenarios } from './scenarios';
import { healthyVmState, type ScriptRunResult, SimulatedWindowsVm, type WindowsVmState } from './windows-vm';

/**
 * The scenario each lab break reproduces. The break's change is derived from it (the fields
 * the scenario sets differently from the healthy state), never written out again, so a lab
 * VM broken with a cause and the scenario VM of that cause never disagree.
 */
export const ScenarioOfLabCause: Record<LabCause, string> = {
  'port-taken': 'sim-port-stoppable',
  'cert-expired': 'sim-cert-expired',
  machinekeys: 'sim-machinekeys',
  'tls-disabled': 'sim-tls-disabled',
  'tls-policy': 'sim-tls-gpo',
  'all-three': 'sim-all-three',
};

/**
 * Fields of a scenario that no break script can change on a real lab VM: the lab VM is not
 * in a domain (break-tls-policy imitates the domain GPO with a scheduled task instead), and its
 * System log has no Schannel or RemoteConnectionManager event until somebody tries RDP.
 */
const BeyondAScript: readonly (keyof WindowsVmState)[] = ['domainJoined', 'events'];

/** The lab's port holder, as break-port-taken.ps1 installs it (the scenario names IIS). */
export const LabPortHolder = { process: 'rdpfix-lab-port', services: ['RdpFixLabPort'] };

/** The fields a break sets, derived from its scenario at `now`. */
export function labBreakChange(cause: LabCause, now: Date): Partial<WindowsVmState> {
  const healthy = healthyVmState(now) as unknown as Record<string, unknown>;
  const scenario = Scenarios[ScenarioOfLabCause[cause]];
  if (!scenario) throw new Error(`no scenario ${ScenarioOfLabCause[cause]} for lab cause ${cause}`);
  const broken = scenario(now) as unknown as Record<string, unknown>;
  const change: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(broken)) {
    if ((BeyondAScript as readonly string[]).includes(field)) continue;
    if (JSON.stringify(value) !== JSON.stringify(healthy[field])) change[field] = structuredClone(value);
  }
  const owner = change.portOwner as WindowsVmState['portOwner'] | undefined;
  if (owner) change.portOwner = { ...owner, ...LabPortHolder, services: [...LabPortHolder.services] };
  return change as Partial<WindowsVmState>;
}

/**
 * A simulated VM made by `rdp-fix lab create`: healthy, and it also runs the lab's break
 * scripts (`# rdp-fix-lab: break-<cause>`), which apply their cause and print one
 * `RDPFIX-RESULT:` line as the real scripts do.
 */
export class LabWindowsVm extends SimulatedWindowsVm {
  constructor(
    name: string,
    private readonly clock: () => Date,
  ) {
    super(name, healthyVmState(clock()), clock);
  }

  override run(scriptText: string, params: Record<string, string>): ScriptRunResult {
    const id = labScriptIdOf(scriptText);
    if (!id) return super.run(scriptText, params);
    const cause = id.replace(/^break-/, '');
    const log = `C:\\ProgramData\\rdp-fix\\logs\\lab-${id}.log`;
    if (!id.startsWith('break-') || !isLabCause(cause)) {
      const error = `unknown lab script "${id}"`;
      return {
        stdout: `RDPFIX-RESULT: ${JSON.stringify({ step: id, ok: false, log, data: {}, error })}\n`,
        stderr: '',
      };
    }
    const change = labBreakChange(cause, this.clock());
    Object.assign(this.state, change);
    const data = { cause, simulated: Object.keys(change) };
    return { stdout: `RDPFIX-RESULT: ${JSON.stringify({ step: id, ok: true, log, data })}\n`, stderr: '' };
  }
}
