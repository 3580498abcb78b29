import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Parser } from 'web-tree-sitter';
import { readScript } from '../../src/playbook/script-includes';
import { playbookDir } from '../helpers/engine-harness';
import {
  checkScript,
  knownCommands,
  powershellParser,
  type StaticFinding,
} from '../helpers/powershell-static';

/**
 * What PowerShell would only say on the VM, said here on the AST (issue 15): every command a
 * script calls exists in Windows PowerShell 5.1 on Windows Server 2016-2025 or is defined in the
 * script; every variable it reads is defined; no native command's stderr is merged with 2>&1
 * under $ErrorActionPreference = 'Stop'; no registry key is recreated by New-Item -Force.
 */
let parser: Parser;
const commands = knownCommands();

beforeAll(async () => {
  parser = await powershellParser();
});

const scriptsDir = join(playbookDir, 'scripts');
const scripts = readdirSync(scriptsDir).filter((f) => f.endsWith('.ps1'));

const format = (f: StaticFinding) => `${f.rule}: ${f.text.trim()}`;

describe.each(scripts)('%s', (file) => {
  test('calls only known commands, reads only defined variables, merges no stderr under Stop', () => {
    // As the loader sends it: lib/ fragments spliced in (their functions are defined there).
    const found = checkScript(parser, readScript(scriptsDir, file), commands);
    expect(found.map(format)).toEqual([]);
  });
});

describe('the check catches', () => {
  const check = (text: string) => checkScript(parser, text, commands).map((f) => `${f.rule} ${f.text}`);

  test('a function called but never defined (offline-machinekeys.ps1 and Assert-DriveLetter)', () => {
    const param = "param([string]$DriveLetter = 'F')\n";
    const body = '$root = Assert-DriveLetter $DriveLetter\nWrite-Output "$root\\ProgramData"';
    expect(check(param + body)).toEqual(['unknown-command Assert-DriveLetter']);
    const definition = 'function Assert-DriveLetter([string]$Letter) { return "$($Letter):" }\n';
    expect(check(param + definition + body)).toEqual([]);
  });

  test('a command Windows PowerShell 5.1 does not have, and sc without .exe (Set-Content)', () => {
    expect(check("$x = '{}' | Test-Json\nsc config gpsvc start= auto")).toEqual([
      'unknown-command Test-Json',
      'unknown-command sc',
    ]);
  });

  test('a parameter read but not declared', () => {
    expect(check('param([string]$Port = \'\')\nWrite-Output "$Port $NewPort"')).toEqual([
      'undefined-variable $NewPort',
    ]);
  });

  test('a variable followed by a colon in a string, which PowerShell refuses to parse', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: PowerShell's ${name} variable syntax, not a template
    expect(check('$disk = 1\nWrite-Output "disk $disk: none, ${disk}: fine, $env:TEMP fine"')).toEqual([
      'invalid-variable-reference $disk:',
    ]);
  });

  test("a native command's stderr merged under $ErrorActionPreference = 'Stop'", () => {
    const script = "$ErrorActionPreference = 'Stop'\n$out = & reg.exe unload 'HKLM\\BROKENSYSTEM' 2>&1";
    expect(check(script)).toEqual(["stderr-merged-under-stop & reg.exe unload 'HKLM\\BROKENSYSTEM' 2>&1"]);
    expect(check(script.replace("'Stop'", "'Continue'"))).toEqual([]);
  });

  test('New-Item -Force on a key that may exist (PowerShell/PowerShell#5444)', () => {
    const key = "$key = 'HKLM:\\SOFTWARE\\X'\n";
    expect(check(`${key}New-Item -Path $key -Force | Out-Null`)).toEqual([
      'new-item-force-unguarded New-Item -Path $key -Force ',
    ]);
    expect(check(`${key}if (-not (Test-Path $key)) { New-Item -Path $key -Force | Out-Null }`)).toEqual([]);
    expect(check("New-Item -ItemType Directory -Force -Path 'C:\\x' | Out-Null")).toEqual([]);
  });
});
