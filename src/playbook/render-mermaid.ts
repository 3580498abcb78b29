import type { AnyStateNode } from 'xstate';
import type { IncidentMachine } from './compile-playbook';
import type { Playbook } from './load-playbook';

/**
 * A Mermaid flowchart of the compiled machine: one node per step (its substates folded in),
 * one edge per transition that leaves the step, labelled with the outcome that takes it.
 * Read from the machine itself, not from the YAML, so it shows what will run.
 */
export function renderMermaid(playbook: Playbook, machine: IncidentMachine): string {
  const lines = ['flowchart TD'];
  const topLevel = Object.values(machine.root.states) as AnyStateNode[];
  for (const node of topLevel) lines.push(`  ${nodeId(node.key)}${shape(playbook, node.key)}`);
  const seen = new Set<string>();
  for (const node of topLevel) {
    for (const { label, target } of edgesOut(node)) {
      const line = `  ${nodeId(node.key)} -->|${escapeLabel(label)}| ${nodeId(target)}`;
      if (!seen.has(line)) {
        seen.add(line);
        lines.push(line);
      }
    }
  }
  lines.push('  %% Any step waiting for a person can also be aborted (-> aborted, after an owed undo step).');
  lines.push('  classDef vm fill:#fde2e2,stroke:#b91c1c;', '  classDef end fill:#e0f2fe,stroke:#0369a1;');
  for (const step of playbook.steps) {
    if (step.kind === 'runCommand' || step.kind === 'azure') lines.push(`  class ${nodeId(step.id)} vm;`);
  }
  lines.push(
    `  class ${['resolved', 'unresolved', 'aborted', 'expired', 'failed'].map(nodeId).join(',')} end;`,
  );
  return `${lines.join('\n')}\n`;
}

function edgesOut(node: AnyStateNode): { label: string; target: string }[] {
  const top = node.key;
  const out: { label: string; target: string }[] = [];
  const visit = (n: AnyStateNode) => {
    const transitions = [...n.transitions.values()].flat().concat(n.always ?? []);
    for (const t of transitions) {
      for (const target of t.target ?? []) {
        const targetTop = topOf(target);
        if (targetTop === top) continue;
        out.push({ label: labelOf(t.eventType, t.guard), target: targetTop });
      }
    }
    for (const child of Object.values(n.states) as AnyStateNode[]) visit(child);
  };
  visit(node);
  return out;
}

function labelOf(eventType: string, guard: unknown): string {
  const g = guard as { type?: string; params?: Record<string, unknown> } | undefined;
  const p = g?.params ?? {};
  if (eventType === '' && g?.type === 'notApplicable') return 'not applicable';
  if (eventType === '' && g?.type === 'undoOwed') return 'undo owed';
  if (eventType === '' && !g) return 'always';
  if (typeof p.outcome === 'string') return p.outcome;
  if (typeof p.answer === 'string') return p.answer;
  if ('cause' in p)
    return p.cause === null ? 'clear' : p.cause === '*' ? 'causes' : `cause:${String(p.cause)}`;
  if (typeof p.status === 'string') return p.status;
  if (eventType === 'VM_STATUS') return 'not running / not found';
  if (eventType === 'SKIP') return 'skipped';
  if (eventType === 'EXPIRE') return 'expired';
  return eventType;
}

function topOf(node: AnyStateNode): string {
  return node.path[0] ?? node.key;
}

function shape(playbook: Playbook, key: string): string {
  const step = playbook.stepById.get(key);
  if (!step) return key === 'preflight' ? '(["check the VM"])' : `((${key}))`;
  const title = escapeLabel(step.title.en);
  switch (step.kind) {
    case 'runCommand':
    case 'azure':
      return `[["${title}<br/>${step.risk}, approval"]]`;
    case 'question':
      return `{"${title}"}`;
    case 'manual':
      return `[/"${title}"/]`;
  }
}

function nodeId(key: string): string {
  return `s_${key.replace(/-/g, '_')}`;
}

function escapeLabel(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/\|/g, '#124;');
}
