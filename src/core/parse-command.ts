import { shorten } from './shorten';
/**
 * The `/rdp-fix …` command language, shared by every channel:
 *   <vm> [--rg <group>] [--all] [--offline] | help | status | history [vm] | transcript <id> |
 *   cancel <id> | undo <id> [step] | keep-repair <id> | swap-back <id>
 * Names follow Azure's rules, so hostile text never gets further than this parser.
 */
export type ParsedCommand =
  | { kind: 'start'; vmName: string; resourceGroup?: string; walkAll: boolean; offline?: boolean }
  | { kind: 'help' }
  | { kind: 'status' }
  | { kind: 'history'; vmName?: string }
  | { kind: 'transcript'; incidentId: string }
  | { kind: 'cancel'; incidentId: string }
  | { kind: 'undo'; incidentId: string; step?: string }
  /** The offline repair's last decision: keep the repaired disk, or put the original back. */
  | { kind: 'keep-repair'; incidentId: string }
  | { kind: 'swap-back'; incidentId: string }
  | { kind: 'invalid'; problem: string };

/** Azure VM names: 1–64 letters, digits, `_ . -`, starting with a letter or digit, not ending in `.` or `-`. */
export const VmNamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?$/;
/** Azure resource group names: 1–90 letters, digits, `_ . - ( )`, not ending in `.`. */
export const ResourceGroupPattern = /^[A-Za-z0-9_.()-]{0,89}[A-Za-z0-9_()-]$/;
const IncidentIdPattern = /^[a-z0-9]{6,40}$/;
/** Playbook step ids (schema.ts): kebab-case. */
const StepIdPattern = /^[a-z][a-z0-9-]{1,62}$/;
const MaxInput = 500;

export function parseCommand(text: string): ParsedCommand {
  if (text.length > MaxInput)
    return { kind: 'invalid', problem: `the command is too long (${text.length} characters)` };
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [first, ...rest] = words;
  if (!first || first === 'help' || first === '--help') return { kind: 'help' };
  switch (first) {
    case 'status':
      return { kind: 'status' };
    case 'history': {
      const vm = rest[0];
      if (vm && !VmNamePattern.test(vm)) return invalidVm(vm);
      return vm ? { kind: 'history', vmName: vm } : { kind: 'history' };
    }
    case 'transcript':
    case 'cancel':
    case 'undo':
    case 'keep-repair':
    case 'swap-back': {
      const id = rest[0] ?? '';
      if (!IncidentIdPattern.test(id))
        return { kind: 'invalid', problem: `"${shorten(id, 40)}" is not an incident id` };
      // `undo <id> <step>` undoes one step's change; `undo <id> all` (or nothing) all of them.
      const step = first === 'undo' ? rest[1] : undefined;
      if (first === 'undo' && rest.length > 2)
        return { kind: 'invalid', problem: `unexpected "${shorten(rest[2] ?? '', 40)}"` };
      if (step !== undefined && step !== 'all') {
        if (!StepIdPattern.test(step))
          return { kind: 'invalid', problem: `"${shorten(step, 40)}" is not a step id` };
        return { kind: 'undo', incidentId: id, step };
      }
      return { kind: first, incidentId: id };
    }
  }
  if (!VmNamePattern.test(first)) return invalidVm(first);
  let resourceGroup: string | undefined;
  let walkAll = false;
  let offline = false;
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (word === '--rg' || word === '-g') {
      const group = rest[++i] ?? '';
      if (!ResourceGroupPattern.test(group))
        return { kind: 'invalid', problem: `"${shorten(group, 40)}" is not a valid resource group name` };
      resourceGroup = group;
    } else if (word === '--all') {
      walkAll = true;
    } else if (word === '--offline') {
      offline = true;
    } else {
      return { kind: 'invalid', problem: `unknown option "${shorten(word, 40)}"` };
    }
  }
  return {
    kind: 'start',
    vmName: first,
    ...(resourceGroup ? { resourceGroup } : {}),
    walkAll,
    ...(offline ? { offline } : {}),
  };
}

function invalidVm(name: string): ParsedCommand {
  return {
    kind: 'invalid',
    problem: `"${shorten(name, 40)}" is not a valid Azure VM name (1-64 letters, digits, underscores, dots or hyphens)`,
  };
}
