import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Language, type Node, Parser } from 'web-tree-sitter';
import { labScriptsDir, readBreakScript } from '../../src/lab/break-lab';
import { LabCauses, LabScriptMarker } from '../../src/lab/lab-causes';
import { ResultMarker } from '../../src/playbook/script-header';
import { includesOf } from '../../src/playbook/script-includes';

/**
 * The break scripts never run here (no Windows), but they parse: each must parse without
 * error, start with its marker, refuse a VM without the lab tag before changing anything,
 * print the result line, and share code through deploy/lab/lib fragments, spliced in as they
 * are sent (all-three includes the three single causes' fragments).
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

/** The lib fragments a break script includes, in order (`guard`, `tls`, …). */
/** (Every script also includes lib/result.ps1, its log and result line, left out here.) */
const fragmentsOf = (file: string) =>
  includesOf(text(file))
    .map((f) => f.replace(/\.ps1$/, ''))
    .filter((f) => f !== 'result');

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
    expect(script).toContain('# region lib/guard.ps1');
  });
});

test.each(readdirSync(join(dir, 'lib')))('lib/%s parses cleanly', (file) => {
  expect(problemsOf(parser.parse(readFileSync(join(dir, 'lib', file), 'utf8'))!.rootNode)).toEqual([]);
});

test('all-three carries the certificate, key and TLS regions; the policy adds its own', () => {
  expect(fragmentsOf('break-all-three.ps1')).toEqual([
    'guard',
    'keyfile',
    'certificate',
    'machinekeys',
    'tls',
  ]);
  expect(fragmentsOf('break-tls-policy.ps1')).toEqual(['guard', 'tls', 'policy']);
});

test('identities by SID, never by their localised names', () => {
  for (const cause of LabCauses) expect(readBreakScript(dir, cause)).not.toMatch(/NETWORK SERVICE:/i);
  expect(readBreakScript(dir, 'machinekeys')).toContain("/deny '*S-1-5-20:(R)'");
});
