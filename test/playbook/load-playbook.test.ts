import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlaybookInvalid } from '../../src/core/errors';
import { loadPlaybook, loadPlaybooks } from '../../src/playbook/load-playbook';
import { playbookDir } from '../helpers/engine-harness';

/** Copies the real playbook to a temp folder, applies an edit, and returns the load error text. */
function problemsAfter(edit: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'rdpfix-playbook-'));
  try {
    cpSync(playbookDir, dir, { recursive: true });
    edit(dir);
    loadPlaybook(dir);
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(PlaybookInvalid);
    return (err as Error).message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function editYaml(dir: string, from: string, to: string): void {
  const file = join(dir, 'playbook.yaml');
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

describe('loading the article playbook', () => {
  test('it validates, with every step of ARTICLE.md present', () => {
    const playbook = loadPlaybook(playbookDir);
    const ids = playbook.steps.map((s) => s.id);
    for (const id of [
      'snapshot-os-disk',
      'diagnose',
      'free-rdp-port',
      'change-rdp-port',
      'update-nsg-rule',
      'renew-rdp-certificate',
      'renew-certificate-remotely',
      'reset-machinekeys-acl',
      'enable-tls',
      'restart-vm',
      'restore-group-policy',
      'gpo-enforced',
      'verify',
      'offline-attach-disk',
      'offline-enable-serial-dump',
      'offline-machinekeys',
      'offline-enable-tls',
      'offline-enable-nla',
      'offline-swap-disk',
    ]) {
      expect(ids).toContain(id);
    }
    expect(playbook.causes.map((c) => c.id)).toEqual([
      'rdp-disabled',
      'termservice-disabled',
      'listener-settings',
      'port-conflict',
      'rdp-not-listening',
      'certificate-invalid',
      'machinekeys-acl',
      'tls-disabled',
    ]);
    expect(playbook.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('every step has English and Italian texts, a section and, for VM steps, a risk', () => {
    for (const step of loadPlaybook(playbookDir).steps) {
      expect(
        step.title.en && step.title.it && step.explain.en && step.explain.it && step.section,
      ).toBeTruthy();
      if (step.kind === 'runCommand' || step.kind === 'azure') expect(step.risk).toBeDefined();
    }
  });

  test('loadPlaybooks finds every dialog folder', () => {
    expect(loadPlaybooks(join(playbookDir, '..')).map((p) => p.id)).toContain('rdp-internal-error');
  });
});

describe('invalid playbooks give precise errors (file: path: problem)', () => {
  test('a missing script', () => {
    const message = problemsAfter((dir) => rmSync(join(dir, 'scripts', 'enable-tls.ps1')));
    expect(message).toMatch(/playbook\.yaml: steps\.\d+\.script: script scripts\/enable-tls\.ps1 not found/);
  });

  test('an unknown transition target', () => {
    const message = problemsAfter((dir) => editYaml(dir, 'ok: restart-vm', 'ok: restart-vms'));
    expect(message).toMatch(/steps\.\d+\.next\.ok: unknown transition target "restart-vms"/);
  });

  test('a bad parameter type', () => {
    const message = problemsAfter((dir) => editYaml(dir, 'type: integer', 'type: float'));
    expect(message).toMatch(/steps\.\d+\.params\.Port\.type: /);
  });

  test('a default outside its range, and an outcome without a transition', () => {
    const message = problemsAfter((dir) => {
      editYaml(dir, 'default: 3390', 'default: 80');
      editYaml(
        dir,
        '      unreadable: diagnose-failed\n      skipped: snapshot-os-disk',
        '      skipped: snapshot-os-disk',
      );
    });
    expect(message).toMatch(/steps\.\d+\.params\.Port\.default: default 80 is outside 1025\.\.65535/);
    expect(message).toMatch(/steps\.0\.next: no transition for outcome "unreadable"/);
  });

  test('parameters that do not match the script param() block', () => {
    const message = problemsAfter((dir) => editYaml(dir, '      ServiceName:\n', '      Service:\n'));
    expect(message).toMatch(
      /parameters \[Service\] do not match the param\(\) block of scripts\/free-rdp-port\.ps1 \[ServiceName\]/,
    );
  });

  test('a script without its marker line, and an unknown cause', () => {
    const message = problemsAfter((dir) => {
      const file = join(dir, 'scripts', 'restore-group-policy.ps1');
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace('# rdp-fix-step: restore-group-policy', '# hello'),
      );
      editYaml(dir, 'when: { causes: [tls-disabled] }', 'when: { causes: [tls-off] }');
    });
    expect(message).toContain('must start with "# rdp-fix-step: restore-group-policy"');
    expect(message).toMatch(/when\.causes\.0: unknown cause "tls-off"/);
  });

  test('an undo naming no step, "end" outside an undo step, settles for a step without an undo', () => {
    const message = problemsAfter((dir) => {
      editYaml(dir, 'undo: restore-group-policy', 'undo: restore-gpo');
      editYaml(dir, '      works: resolved', '      works: end');
      editYaml(
        dir,
        '      enable-tls: { path: groupPolicy/error, op: isNull }',
        '      diagnose: { path: x, op: isNull }',
      );
    });
    expect(message).toMatch(/steps\.\d+\.undo: unknown step "restore-gpo"/);
    expect(message).toMatch(
      /steps\.\d+\.next\.works: only an undo step \(or a step it leads to\) may go to "end"/,
    );
    expect(message).toMatch(/steps\.\d+\.settles\.diagnose: "diagnose" is no step with an undo/);
  });

  test("the undo's Step values and the steps that save their prior state must agree", () => {
    expect([...loadPlaybook(playbookDir).undoable]).toEqual([
      'enable-tls',
      'change-rdp-port',
      'free-rdp-port',
      'reset-machinekeys-acl',
      'enable-rdp',
    ]);
    const message = problemsAfter((dir) =>
      editYaml(
        dir,
        'values: [all, enable-tls, change-rdp-port, free-rdp-port, reset-machinekeys-acl, enable-rdp]',
        'values: [all, enable-tls, change-rdp-port, free-rdp-port, renew-rdp-certificate, enable-rdp]',
      ),
    );
    expect(message).toMatch(
      /steps\.\d+: "renew-rdp-certificate" is a value of undo-changes's Step but saves no prior state/,
    );
    expect(message).toMatch(
      /steps\.\d+: "reset-machinekeys-acl" saves its prior state but is not a value of undo-changes's Step/,
    );
    const noParam = problemsAfter((dir) =>
      editYaml(dir, '      Step:\n        type: enum', '      Which:\n        type: enum'),
    );
    expect(noParam).toContain('the undo step "undo-changes" needs an enum parameter Step');
  });

  test('broken YAML', () => {
    const message = problemsAfter((dir) => writeFileSync(join(dir, 'playbook.yaml'), 'id: [unclosed\n'));
    expect(message).toMatch(/playbook\.yaml: \(root\): YAML: /);
  });
});
