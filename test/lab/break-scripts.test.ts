import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Language, type Node, Parser } from 'web-tree-sitter';
import { labScriptsDir, readBreakScript } from '../../src/lab/break-lab';
import { LabCauses, LabScriptMarker } from '../../src/lab/lab-causes';
import { ResultMarker } from '../../src/playbook/script-header';

/**
 * The break scripts never run here (no Windows), but they parse: each must parse without
 * error, start with its marker, refuse a VM without the lab tag before changing anything,
 * print the result line, and share its regions word for word with the others (all-three is
 * the three single causes' regions together).
 */
let parser: Parser;
beforeAll(async () => {
  await Parser.init();
  const language = await Language.load(
    readFileSync(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm')),
  );
  parser = new Parser();
  parser.setLanguage(language);
});

const dir = labScriptsDir(__dirname);
const text = (file: string) => readFileSync(join(dir, file), 'utf8');

function problemsOf(node: Node, out: string[] = []): string[] {
  if (node.isError || node.isMissing)
    out.push(
      `${node.isMissing ? 'missing' : 'error'} at line ${node.startPosition.row + 1}: ${node.text.slice(0, 60)}`,
    );
  for (const child of node.children) if (child) problemsOf(child, out);
  return out;
}

/** `# region name` … `# endregion name` blocks of a script, by name. */
function regionsOf(script: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of script.matchAll(/^# region (\S+)\n[\s\S]*?^# endregion \1$/gm)) found.set(m[1]!, m[0]);
  return found;
}

test('one script per cause, and nothing else', () => {
  expect(
    readdirSync(dir)
      .filter((f) => f.endsWith('.ps1'))
      .sort(),
  ).toEqual(LabCauses.map((c) => `break-${c}.ps1`).sort());
});

describe.each(LabCauses)('break-%s.ps1', (cause) => {
  const script = readBreakScript(dir, cause);

  test('parses cleanly', () => {
    expect(problemsOf(parser.parse(script)!.rootNode)).toEqual([]);
  });

  test('starts with its marker, checks the lab tag first, prints the result line', () => {
    expect(script.split('\n', 1)[0]).toBe(`${LabScriptMarker} break-${cause}`);
    const body = script.slice(script.lastIndexOf('\ntry {'));
    expect(body.split('\n')[2]).toBe('    $labId = Assert-LabVm');
    expect(script).toContain(`'${ResultMarker} '`);
    expect(script).toContain('# region guard');
  });

  test('its regions are the same text as in every other script', () => {
    const all = LabCauses.map((c) => regionsOf(readBreakScript(dir, c)));
    for (const [name, region] of regionsOf(script)) {
      for (const other of all) if (other.has(name)) expect(other.get(name)).toBe(region);
    }
  });
});

test('all-three carries the certificate, key and TLS regions; the policy adds its own', () => {
  expect([...regionsOf(text('break-all-three.ps1')).keys()]).toEqual([
    'guard',
    'keyfile',
    'certificate',
    'machinekeys',
    'tls',
  ]);
  expect([...regionsOf(text('break-tls-policy.ps1')).keys()]).toEqual(['guard', 'tls', 'policy']);
});

test('identities by SID, never by their localised names', () => {
  for (const cause of LabCauses) expect(readBreakScript(dir, cause)).not.toMatch(/NETWORK SERVICE:/i);
  expect(text('break-machinekeys.ps1')).toContain("/deny '*S-1-5-20:(R)'");
});
