/** What the loader needs to know of a PowerShell script without running it. */
export interface ScriptHeader {
  /** From the first line `# rdp-fix-step: <id>`; the simulator and parser recognise a script by it. */
  scriptId: string | undefined;
  /** Names declared in the script's `param()` block. */
  params: string[];
  printsResult: boolean;
}

export const ScriptMarker = '# rdp-fix-step:';

/**
 * Parameters the engine supplies itself to a script that declares them, never a person:
 * `IncidentId`, so that what a script saves for an undo is kept per incident (lib/undo-journal.ps1).
 * The playbook does not list them; the loader does not count them as the playbook's.
 */
export const EngineParams = ['IncidentId'] as const;

/** The engine's parameters a script declares, with their values for this incident. */
export function engineParamsFor(header: ScriptHeader, incidentId: string): Record<string, string> {
  return header.params.includes('IncidentId') ? { IncidentId: incidentId } : {};
}
export const ResultMarker = 'RDPFIX-RESULT:';

const PowerShellConstants = new Set(['true', 'false', 'null']);

/**
 * Reads the marker line and the `param()` block names. A light textual read for the
 * loader; the test suite parses every script fully with tree-sitter-powershell.
 */
export function readScriptHeader(text: string): ScriptHeader {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const scriptId = firstLine.startsWith(ScriptMarker)
    ? firstLine.slice(ScriptMarker.length).trim()
    : undefined;
  const block = /^\s*param\s*\(([\s\S]*?)\)\s*$/im.exec(stripComments(text))?.[1] ?? '';
  const params = [...block.matchAll(/\$([A-Za-z][A-Za-z0-9]*)/g)]
    .map((m) => m[1] ?? '')
    .filter((name) => !PowerShellConstants.has(name.toLowerCase()));
  return { scriptId, params: [...new Set(params)], printsResult: text.includes(ResultMarker) };
}

function stripComments(text: string): string {
  return text
    .split(/\r?\n/)
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
}
