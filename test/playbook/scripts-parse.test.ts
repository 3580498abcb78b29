import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Language, type Node, Parser } from 'web-tree-sitter';
import { EngineParams, ResultMarker, ScriptMarker } from '../../src/playbook/script-header';
import {
  includesOf,
  readScript,
  ScriptIncludeMissing,
  spliceIncludes,
} from '../../src/playbook/script-includes';
import { playbookDir, rdpPlaybook } from '../helpers/engine-harness';

/**
 * PowerShell does not run here, but it parses: every script must parse without error or
 * missing nodes, declare exactly the playbook's parameters in param(), start with its marker
 * and print the result line last.
 */
let parser: Parser;

beforeAll(async () => {
  await Parser.init();
  // Bytes, not a path: loading by path makes web-tree-sitter import 'fs' dynamically, which jest's CJS mode refuses.
  const language = await Language.load(
    readFileSync(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm')),
  );
  parser = new Parser();
  parser.setLanguage(language);
});

const scriptsDir = join(playbookDir, 'scripts');
const scripts = readdirSync(scriptsDir).filter((f) => f.endsWith('.ps1'));

function problemsOf(node: Node, out: string[] = []): string[] {
  if (node.isError || node.isMissing) {
    out.push(
      `${node.isMissing ? 'missing' : 'error'} at line ${node.startPosition.row + 1}: ${node.text.slice(0, 60)}`,
    );
  }
  for (const child of node.children) if (child) problemsOf(child, out);
  return out;
}

function paramNames(root: Node): string[] {
  const block = root.descendantsOfType('param_block')[0];
  if (!block) return [];
  return block
    .descendantsOfType('script_parameter')
    .map((p) => (p?.descendantsOfType('variable')[0]?.text ?? '').replace(/^\$/, ''));
}

/** A script as the loader sends it: lib/ includes spliced in. */
const sent = (file: string) => readScript(scriptsDir, file);
const fragments = readdirSync(join(scriptsDir, 'lib')).filter((f) => f.endsWith('.ps1'));

test.each(fragments)('lib/%s parses cleanly', (file) => {
  const tree = parser.parse(readFileSync(join(scriptsDir, 'lib', file), 'utf8'));
  expect(problemsOf(tree!.rootNode)).toEqual([]);
});

describe.each(scripts)('%s', (file) => {
  const text = sent(file);

  test('parses cleanly', () => {
    const tree = parser.parse(text);
    expect(tree).not.toBeNull();
    expect(problemsOf(tree!.rootNode)).toEqual([]);
  });

  test('starts with its marker and has a param() block', () => {
    expect(text.split('\n', 1)[0]).toBe(`${ScriptMarker} ${basename(file, '.ps1')}`);
    expect(parser.parse(text)!.rootNode.descendantsOfType('param_block')).toHaveLength(1);
  });

  test('declares the parameters the playbook passes', () => {
    const steps = rdpPlaybook().steps.filter((s) => 'script' in s && s.script === file);
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      const declared = Object.keys('params' in step ? step.params : {}).sort();
      // IncidentId is the engine's own (script-header.ts EngineParams), never the playbook's.
      const inScript = paramNames(parser.parse(text)!.rootNode).filter(
        (p) => !(EngineParams as readonly string[]).includes(p),
      );
      expect(inScript.sort()).toEqual(declared);
    }
  });

  test('prints the result marker with the step, ok, log and data fields', () => {
    expect(text).toContain(`'${ResultMarker} '`);
    expect(text).toMatch(
      /step = \$stepId; ok = \$Ok; log = \$log; data = (\$Data|\(Limit-Strings \$Data \$Limit\))/,
    );
    expect(text).toContain(`$stepId = '${basename(file, '.ps1')}'`);
  });
});

test('the parser does catch broken PowerShell', () => {
  const tree = parser.parse('param([string]$Port\nif ($x -eq { \n');
  expect(problemsOf(tree!.rootNode).length).toBeGreaterThan(0);
});

test("verify.ps1 reads the evidence with diagnose.ps1's text, and restores Group Policy with restore-group-policy.ps1's", () => {
  const raw = (file: string) => readFileSync(join(scriptsDir, file), 'utf8');
  // Every script also includes lib/result.ps1 first (its log and result line; test below).
  expect(includesOf(raw('diagnose.ps1'))).toEqual(['result.ps1', 'result-limit.ps1', 'evidence.ps1']);
  expect(includesOf(raw('verify.ps1'))).toEqual([
    'result.ps1',
    'result-limit.ps1',
    'group-policy.ps1',
    'evidence.ps1',
  ]);
  expect(includesOf(raw('restore-group-policy.ps1'))).toEqual(['result.ps1', 'group-policy.ps1']);
  const evidence = readFileSync(join(scriptsDir, 'lib', 'evidence.ps1'), 'utf8').trimEnd();
  for (const file of ['diagnose.ps1', 'verify.ps1']) expect(sent(file)).toContain(evidence);
  // sc.exe config (ChangeServiceConfig), not a registry write: the SCM keeps the start type it read at boot.
  expect(sent('restore-group-policy.ps1')).toMatch(/& sc\.exe config gpsvc start= /);
});

test('every script writes its log and its result line with lib/result.ps1, after setting $stepId', () => {
  for (const file of scripts) {
    const raw = readFileSync(join(scriptsDir, file), 'utf8');
    expect([file, includesOf(raw)[0]]).toEqual([file, 'result.ps1']);
    expect(raw.indexOf('$stepId = ')).toBeLessThan(raw.indexOf('# include: lib/result.ps1'));
  }
});

test('an include of a fragment that does not exist is refused, and names stay inside lib/', () => {
  expect(() => spliceIncludes('# include: lib/nothing-here.ps1\n', scriptsDir)).toThrow(ScriptIncludeMissing);
  expect(spliceIncludes('# include: lib/../diagnose.ps1\n', scriptsDir)).toBe(
    '# include: lib/../diagnose.ps1\n',
  );
});
