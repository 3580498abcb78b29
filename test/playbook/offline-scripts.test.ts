import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node, Parser } from 'web-tree-sitter';
import { includesOf, readScript } from '../../src/playbook/script-includes';
import { playbookDir } from '../helpers/engine-harness';
import { powershellParser } from '../helpers/powershell-static';

/**
 * The offline scripts run on a recovery VM by hand (`kind: manual` steps: shown to the operator,
 * never run by rdp-fix), so no simulator runs them: these checks read their text and AST. What
 * they cannot show — that Windows behaves as the comments cite — is only checked by reading.
 */
const scriptsDir = join(playbookDir, 'scripts');
const offline = readdirSync(scriptsDir).filter((f) => /^offline-.*\.ps1$/.test(f));
/** A script as the operator is shown it: lib/ fragments spliced in. */
const text = (file: string) => readScript(scriptsDir, file);

let parser: Parser;
beforeAll(async () => {
  parser = await powershellParser();
});

function functionBody(file: string, name: string): string {
  const root = parser.parse(text(file))!.rootNode;
  const fn = root
    .descendantsOfType('function_statement')
    .find((f): f is Node => f?.descendantsOfType('function_name')[0]?.text === name);
  if (!fn) throw new Error(`${file} does not define ${name}`);
  return fn.text;
}

test('every offline script includes the same helpers (Assert-DriveLetter, Mount-/Dismount-BrokenSystem)', () => {
  expect(offline.length).toBe(4);
  for (const file of offline) {
    expect(includesOf(readFileSync(join(scriptsDir, file), 'utf8'))).toEqual([
      'result.ps1',
      'offline-helpers.ps1',
    ]);
    expect(text(file)).toContain('function Assert-DriveLetter');
  }
});

test.each(offline)('%s: reg unload is checked, and a hive still loaded fails the step', (file) => {
  const body = functionBody(file, 'Dismount-BrokenSystem');
  expect(body).toMatch(/& reg\.exe unload 'HKLM\\BROKENSYSTEM'[^\n]*\n\s*\$exitCode = \$LASTEXITCODE/);
  expect(body).toMatch(/if \(\$exitCode -eq 0 -and -not \(Test-Path 'HKLM:\\BROKENSYSTEM'\)\) \{ return \}/);
  expect(body).toMatch(/\n\s*throw "reg unload HKLM\\BROKENSYSTEM failed/);
});

describe('offline-machinekeys.ps1', () => {
  const script = text('offline-machinekeys.ps1');

  test('names identities by SID only: account names are localized', () => {
    const code = script.split('\n').filter((l) => !l.trim().startsWith('#'));
    expect(code.filter((l) => /NT AUTHORITY\\|BUILTIN\\|NETWORK SERVICE/i.test(l))).toEqual([]);
    expect(script).toContain("$System = '*S-1-5-18'");
    expect(script).toContain("$NetworkService = '*S-1-5-20'");
    expect(script).toContain("$Administrators = '*S-1-5-32-544'");
    expect(script).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: PowerShell's ${name} variable syntax, not a template
      'foreach ($grant in "${System}:(F)", "${NetworkService}:(R)", "${Administrators}:(F)")',
    );
  });

  test('never answers a prompt: takeown without /r and /d (the answer letter is localized)', () => {
    const takeown = script.split('\n').filter((l) => /takeown\.exe/i.test(l) && !l.trim().startsWith('#'));
    expect(takeown).toEqual(["    Invoke-Native 'takeown' { & takeown.exe /f $keys /a }"]);
    expect(script).toContain('& icacls.exe $keys /setowner $Administrators /t /c');
  });

  test('saves the DACLs in a form icacls /restore reads before changing them', () => {
    const save = script.indexOf('& icacls.exe $keys /save $data.aclSaveFile /t /c');
    expect(save).toBeGreaterThan(0);
    expect(save).toBeLessThan(script.indexOf('& takeown.exe'));
  });
});

describe('offline-enable-serial-dump.ps1', () => {
  const script = text('offline-enable-serial-dump.ps1');

  test('looks for the BCD store on the boot partition, not on the Windows partition', () => {
    expect(script).not.toMatch(/\$root\\boot\\bcd/i);
    expect(script).toContain('$bcd = @("$bootRoot\\EFI\\Microsoft\\Boot\\BCD", "$bootRoot\\Boot\\BCD")');
    expect(script).toMatch(
      /param\(\s*\[string\]\$DriveLetter = 'F',\s*\[string\]\$BootDriveLetter = ''\s*\)/,
    );
  });

  test('without BootDriveLetter, finds the EFI system partition (GPT) or the active one (MBR) of the same disk', () => {
    const body = functionBody('offline-enable-serial-dump.ps1', 'Find-BootPartition');
    expect(body).toContain("$_.GptType -eq '{c12a7328-f81f-11d2-ba4b-00a0c93ec93b}' -or $_.IsActive");
    expect(body).toContain('Get-Partition -DiskNumber $disk');
  });

  test('keeps a copy of the BCD store and the previous dump settings', () => {
    const copy = script.indexOf('Copy-Item -Path $bcd -Destination $data.bcdBackup');
    expect(copy).toBeGreaterThan(0);
    expect(copy).toBeLessThan(script.indexOf('& bcdedit.exe /store $bcd @a'));
    expect(script).toContain('$data.before[$name] = (Get-ItemProperty -Path $crash -Name $name');
  });
});
