import { parseCommand } from '../../src/core/parse-command';

test('commands', () => {
  expect(parseCommand('vm-web-01')).toEqual({ kind: 'start', vmName: 'vm-web-01', walkAll: false });
  expect(parseCommand('  vm-web-01 --rg rg-prod --all ')).toEqual({
    kind: 'start',
    vmName: 'vm-web-01',
    resourceGroup: 'rg-prod',
    walkAll: true,
  });
  expect(parseCommand('')).toEqual({ kind: 'help' });
  expect(parseCommand('help')).toEqual({ kind: 'help' });
  expect(parseCommand('status')).toEqual({ kind: 'status' });
  expect(parseCommand('history vm1')).toEqual({ kind: 'history', vmName: 'vm1' });
  expect(parseCommand('transcript 0123abcd4567')).toEqual({ kind: 'transcript', incidentId: '0123abcd4567' });
  expect(parseCommand('cancel 0123abcd4567')).toEqual({ kind: 'cancel', incidentId: '0123abcd4567' });
});

test.each([
  'vm;rm -rf /',
  '$(whoami)',
  'vm`id`',
  'vm-',
  '-vm',
  'ümlaut-vm',
  'a'.repeat(65),
  'vm\u0000x',
  '<script>',
])('hostile VM name %j is refused', (name) => {
  const parsed = parseCommand(name);
  expect(parsed.kind).toBe('invalid');
  expect(parsed.kind === 'invalid' && parsed.problem).toMatch(/not a valid Azure VM name|unknown option/);
  expect(parsed.kind === 'invalid' && parsed.problem).not.toContain('\u0000');
});

test('hostile options and long input', () => {
  expect(parseCommand('vm1 --rg "x;y"')).toMatchObject({
    kind: 'invalid',
    problem: expect.stringContaining('not a valid resource group name'),
  });
  expect(parseCommand('vm1 --evil')).toMatchObject({ kind: 'invalid', problem: 'unknown option "--evil"' });
  expect(parseCommand('x'.repeat(10_000))).toMatchObject({
    kind: 'invalid',
    problem: 'the command is too long (10000 characters)',
  });
  expect(parseCommand('transcript ../../etc/passwd')).toMatchObject({ kind: 'invalid' });
});

test('the offline repair: --offline on a start, keep-repair and swap-back on an incident', () => {
  expect(parseCommand('sim-agent-down-cert --offline')).toEqual({
    kind: 'start',
    vmName: 'sim-agent-down-cert',
    walkAll: false,
    offline: true,
  });
  expect(parseCommand('keep-repair 0123abcd4567')).toEqual({
    kind: 'keep-repair',
    incidentId: '0123abcd4567',
  });
  expect(parseCommand('swap-back 0123abcd4567')).toEqual({ kind: 'swap-back', incidentId: '0123abcd4567' });
  expect(parseCommand('swap-back ../etc')).toMatchObject({ kind: 'invalid' });
});

test('undo <id> [step]: a step id or nothing; anything else is refused, nothing more is read', () => {
  expect(parseCommand('undo 0123abcd4567')).toEqual({ kind: 'undo', incidentId: '0123abcd4567' });
  expect(parseCommand('undo 0123abcd4567 enable-tls')).toEqual({
    kind: 'undo',
    incidentId: '0123abcd4567',
    step: 'enable-tls',
  });
  for (const step of ['Enable-TLS', 'enable_tls', '$(whoami)', '-x', 'a'.repeat(64)]) {
    expect(parseCommand(`undo 0123abcd4567 ${step}`)).toMatchObject({
      kind: 'invalid',
      problem: expect.stringContaining('is not a step id'),
    });
  }
  expect(parseCommand('undo 0123abcd4567 enable-tls now')).toMatchObject({
    kind: 'invalid',
    problem: 'unexpected "now"',
  });
  expect(parseCommand('undo 0123abcd4567 all')).toEqual({ kind: 'undo', incidentId: '0123abcd4567' });
});
