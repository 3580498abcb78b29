import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Language, type Node, Parser } from 'web-tree-sitter';

/**
 * Static checks of the playbook's PowerShell scripts on their tree-sitter AST: the defects
 * PowerShell itself would only report on a VM, in the middle of a repair.
 */

/** A tree-sitter parser for PowerShell (web-tree-sitter + tree-sitter-powershell's wasm). */
export async function powershellParser(): Promise<Parser> {
  await Parser.init();
  // Bytes, not a path: loading by path makes web-tree-sitter import 'fs' dynamically, which jest's CJS mode refuses.
  const language = await Language.load(
    readFileSync(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm')),
  );
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** test/fixtures/powershell/ps51-commands.txt: one command a line, `#` comments. */
export function knownCommands(): Set<string> {
  const file = join(__dirname, '..', 'fixtures', 'powershell', 'ps51-commands.txt');
  return new Set(
    readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .map((line) => line.replace(/#.*$/, '').trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * Variables PowerShell defines itself (about_Automatic_Variables, about_Preference_Variables on
 * learn.microsoft.com); `$env:`, `$script:` and other drive- or scope-qualified names are not
 * checked.
 */
const AutomaticVariables = new Set(
  [
    '$_',
    '$PSItem',
    '$args',
    '$true',
    '$false',
    '$null',
    '$LASTEXITCODE',
    '$Matches',
    '$Error',
    '$Host',
    '$input',
    '$PSScriptRoot',
    '$PSCommandPath',
    '$PSVersionTable',
    '$PSBoundParameters',
    '$MyInvocation',
    '$PID',
    '$PWD',
    '$HOME',
    '$this',
    '$ErrorActionPreference',
    '$ProgressPreference',
    '$WarningPreference',
    '$VerbosePreference',
    '$InformationPreference',
    '$ConfirmPreference',
    '$OFS',
  ].map((v) => v.toLowerCase()),
);

export interface StaticFinding {
  rule:
    | 'unknown-command'
    | 'undefined-variable'
    | 'invalid-variable-reference'
    | 'stderr-merged-under-stop'
    | 'new-item-force-unguarded';
  line: number;
  text: string;
}

function nodesOf(root: Node, type: string): Node[] {
  return root.descendantsOfType(type).filter((n): n is Node => n !== null);
}

/** The plain name a `command` node calls, or null for `& $variable` / `& (expression)`. */
function commandName(command: Node): Node | null {
  const direct = command.children.find((c) => c?.type === 'command_name');
  if (direct) return direct;
  const expr = command.children.find((c) => c?.type === 'command_name_expr');
  return expr?.children.find((c) => c?.type === 'command_name') ?? null;
}

/** Every variable a script assigns: params, `$x = …`, `foreach ($x in …)`, `[ref]` targets need a prior assignment. */
function definedVariables(root: Node): Set<string> {
  const defined = new Set<string>();
  for (const p of nodesOf(root, 'script_parameter')) {
    const v = p.descendantsOfType('variable')[0];
    if (v) defined.add(variableKey(v.text));
  }
  for (const a of nodesOf(root, 'left_assignment_expression')) {
    // `$data.before[$v] = …` assigns into $data, which must exist already: only a bare variable defines one.
    // A type constraint may come first: `[byte[]]$request = …`.
    const first = a.descendantsOfType('variable')[0];
    const bare = a.text.trim().replace(/^(\[[\w.]+(\[\])?\]\s*)+/, '');
    if (first && bare.toLowerCase() === first.text.toLowerCase()) defined.add(variableKey(first.text));
  }
  for (const f of nodesOf(root, 'foreach_statement')) {
    const v = f.children.find((c) => c?.type === 'variable');
    if (v) defined.add(variableKey(v.text));
  }
  return defined;
}

/** `${name}` and `$name` are one variable. */
function variableKey(text: string): string {
  return text.replace(/^\$\{(.*)\}$/, '$$$1').toLowerCase();
}

function isScoped(name: string): boolean {
  return name.includes(':') || name.startsWith('@');
}

/**
 * Whether `$ErrorActionPreference = 'Stop'` is set anywhere in the script. Under it, Windows
 * PowerShell 5.1 turns a native command's stderr line merged with `2>&1` into a terminating
 * NativeCommandError (about_Redirection; PowerShell/PowerShell#3996, changed only in PowerShell
 * 7.2 by PSNotApplyErrorActionToStderr), so a warning on stderr fails the step.
 */
function stopsOnError(root: Node): boolean {
  return nodesOf(root, 'assignment_expression').some((a) =>
    /^\$ErrorActionPreference\s*=\s*['"]Stop['"]/i.test(a.text.trim()),
  );
}

/** The statement a node is in is guarded by an `if` whose condition calls Test-Path. */
function isGuardedByTestPath(node: Node): boolean {
  for (let n: Node | null = node.parent; n; n = n.parent) {
    if (n.type === 'if_statement' || n.type === 'elseif_clause') {
      const condition = n.children.find((c) => c?.type === 'pipeline');
      if (condition && /\bTest-Path\b/i.test(condition.text)) return true;
    }
  }
  return false;
}

/** Runs every rule on one script's text. */
export function checkScript(parser: Parser, text: string, commands: Set<string>): StaticFinding[] {
  const tree = parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  const root = tree.rootNode;
  const findings: StaticFinding[] = [];
  const at = (n: Node) => n.startPosition.row + 1;

  const functions = new Set(nodesOf(root, 'function_name').map((f) => f.text.toLowerCase()));
  for (const command of nodesOf(root, 'command')) {
    const name = commandName(command);
    if (!name) continue;
    const key = name.text.toLowerCase();
    if (!functions.has(key) && !commands.has(key)) {
      findings.push({ rule: 'unknown-command', line: at(name), text: name.text });
    }
  }

  const defined = definedVariables(root);
  for (const v of nodesOf(root, 'variable')) {
    const key = variableKey(v.text);
    if (isScoped(key) || AutomaticVariables.has(key) || defined.has(key)) continue;
    findings.push({ rule: 'undefined-variable', line: at(v), text: v.text });
  }

  // "$port: x" in a double-quoted string is a parse error in PowerShell ("Variable reference is
  // not valid. ':' was not followed by a valid variable name character. Consider using ${} to
  // delimit the name."): the colon starts a scope or drive name. tree-sitter reads it as $port.
  for (const s of nodesOf(root, 'expandable_string_literal')) {
    for (const m of s.text.matchAll(/(?<!`)\$[A-Za-z_]\w*:(?![\w{])/g)) {
      findings.push({ rule: 'invalid-variable-reference', line: at(s), text: m[0] });
    }
  }

  if (stopsOnError(root)) {
    for (const r of nodesOf(root, 'merging_redirection_operator')) {
      const command = r.parent?.parent?.parent;
      const name = command?.type === 'command' ? commandName(command) : null;
      if (r.text.replace(/\s/g, '') === '2>&1' && name && /\.exe$/i.test(name.text)) {
        findings.push({
          rule: 'stderr-merged-under-stop',
          line: at(r),
          text: command?.text.slice(0, 80) ?? '',
        });
      }
    }
  }

  // New-Item -Force on an existing registry key deletes the key's values and subkeys
  // (PowerShell/PowerShell#5444): create a key only where Test-Path said it is missing.
  for (const command of nodesOf(root, 'command')) {
    const name = commandName(command);
    if (name?.text.toLowerCase() !== 'new-item') continue;
    const parameters = command.descendantsOfType('command_parameter').map((p) => p?.text.toLowerCase());
    const isDirectory = /-ItemType\s+['"]?Directory/i.test(command.text);
    if (parameters.includes('-force') && !isDirectory && !isGuardedByTestPath(command)) {
      findings.push({ rule: 'new-item-force-unguarded', line: at(command), text: command.text.slice(0, 80) });
    }
  }
  return findings;
}
