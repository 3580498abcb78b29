import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResultMarker } from '../../src/playbook/script-header';
import { Scenarios } from '../../src/simulator/scenarios';
import { SimulatedWindowsVm, type WindowsVmState } from '../../src/simulator/windows-vm';
import { playbookDir } from '../helpers/engine-harness';

/** The fix scripts on simulated VMs: what Windows does to the state, and what each result records. */
const now = () => new Date('2026-12-01T10:00:00Z');
const script = (id: string) => readFileSync(join(playbookDir, 'scripts', `${id}.ps1`), 'utf8');

function vmOf(scenario: string, change: Partial<WindowsVmState> = {}): SimulatedWindowsVm {
  const build = Scenarios[scenario];
  if (!build) throw new Error(`no scenario ${scenario}`);
  return new SimulatedWindowsVm(scenario, { ...build(now()), ...change }, now);
}

function run(vm: SimulatedWindowsVm, id: string, params: Record<string, string> = {}) {
  // As the engine sends it: with the incident id it supplies itself (IncidentId).
  const { stdout } = vm.run(script(id), { ...params, IncidentId: 'inc-1' });
  const line = stdout.trim().split('\n').at(-1) ?? '';
  expect(line.startsWith(`${ResultMarker} `)).toBe(true);
  return {
    line,
    result: JSON.parse(line.slice(ResultMarker.length + 1)) as {
      ok: boolean;
      data: Record<string, unknown>;
      error?: string;
    },
  };
}

describe('enable-tls', () => {
  test('leaves the Server key’s other values (DisabledByDefault) in place and records Enabled before', () => {
    const vm = vmOf('sim-tls-disabled');
    const { result } = run(vm, 'enable-tls', { Versions: '1.2', PauseGroupPolicy: 'true' });
    expect(result.ok).toBe(true);
    expect(vm.state.tls).toEqual({ 'TLS 1.0': 0, 'TLS 1.1': 0, 'TLS 1.2': 1 });
    // New-Item -Force would have recreated the keys empty (PowerShell/PowerShell#5444).
    expect(vm.state.schannelServerOther).toEqual({
      'TLS 1.0': { DisabledByDefault: 1 },
      'TLS 1.1': { DisabledByDefault: 1 },
      'TLS 1.2': {},
    });
    expect(result.data).toMatchObject({
      before: { 'TLS 1.0': 0, 'TLS 1.1': 0, 'TLS 1.2': 0 },
      createdServerKeys: [],
      disabledByDefaultBefore: {},
      gpsvcPreviousStart: 2,
    });
  });

  test('a version it enables gets DisabledByDefault=0 too (1 keeps it off as surely), the 1 it replaced recorded', () => {
    const vm = vmOf('sim-tls-disabled');
    const { result } = run(vm, 'enable-tls', { Versions: 'all', PauseGroupPolicy: 'true' });
    expect(vm.state.tls).toEqual({ 'TLS 1.0': 1, 'TLS 1.1': 1, 'TLS 1.2': 1 });
    expect(vm.state.schannelServerOther).toEqual({
      'TLS 1.0': { DisabledByDefault: 0 },
      'TLS 1.1': { DisabledByDefault: 0 },
      'TLS 1.2': {},
    });
    expect(result.data).toMatchObject({ disabledByDefaultBefore: { 'TLS 1.0': 1, 'TLS 1.1': 1 } });
  });

  test('records the Server keys it had to create, so an undo deletes them', () => {
    const vm = vmOf('sim-healthy', { tls: { 'TLS 1.0': null, 'TLS 1.1': null, 'TLS 1.2': 0 } });
    const { result } = run(vm, 'enable-tls', { Versions: 'all', PauseGroupPolicy: 'false' });
    expect(result.data).toMatchObject({
      before: { 'TLS 1.0': null, 'TLS 1.1': null, 'TLS 1.2': 0 },
      createdServerKeys: ['TLS 1.0', 'TLS 1.1'],
    });
    expect(vm.state.gpsvcStart).toBe(2);
  });

  test.each(['1.0,1.1,1.2', '1.3', ''])('refuses Versions %j: only 1.2 or all', (versions) => {
    const vm = vmOf('sim-tls-disabled');
    const { result } = run(vm, 'enable-tls', { Versions: versions });
    expect(result).toMatchObject({
      ok: false,
      error: `Invalid TLS versions '${versions}': expected 1.2 or all`,
    });
    expect(vm.state.tls['TLS 1.2']).toBe(0);
  });

  test('the script validates the same two values', () => {
    for (const id of ['enable-tls', 'offline-enable-tls']) {
      expect(script(id)).toContain("if ($Choice -eq 'all') { return @('TLS 1.0', 'TLS 1.1', 'TLS 1.2') }");
      expect(script(id)).toContain("if ($Choice -eq '1.2') { return @('TLS 1.2') }");
    }
  });
});

describe('change-rdp-port', () => {
  test('the firewall rule cannot be changed: nothing else changes, the step fails and says so', () => {
    const vm = vmOf('sim-port-no-firewall-rule');
    const before = structuredClone(vm.state);
    const { result } = run(vm, 'change-rdp-port', { Port: '3390' });
    expect(result.ok).toBe(false);
    expect(result.error).toContain("No MSFT_NetFirewallRule objects found with property 'Name' equal to");
    expect(vm.state).toEqual(before);
    expect(result.data).toMatchObject({ previousPort: 3389, rolledBack: true });
    // Rolled back whole: no saved state is named, so no undo is offered for it.
    expect(result.data).not.toHaveProperty('undoFile');
  });

  test('records the previous port, the firewall rules’ ports and TermService’s status', () => {
    const vm = vmOf('sim-port-unstoppable');
    const { result } = run(vm, 'change-rdp-port', { Port: '3390' });
    expect(result).toMatchObject({ ok: true });
    expect(result.data).toEqual({
      previousPort: 3389,
      previousFirewall: {
        'RemoteDesktop-UserMode-In-TCP': ['3389'],
        'RemoteDesktop-UserMode-In-UDP': ['3389'],
      },
      termServiceBefore: { status: 'Running' },
      rdpPort: 3390,
      listening: true,
      // the saved prior state, named as lib/undo-journal.ps1 names it
      undoFile: 'C:\\ProgramData\\rdp-fix\\undo\\inc-1\\20261201-100000-change-rdp-port.json',
    });
    expect(vm.state).toMatchObject({ rdpPort: 3390, firewallPort: 3390 });
  });

  test('the script opens the firewall before it moves the port, and puts both back on failure', () => {
    const text = script('change-rdp-port');
    const firewall = text.indexOf('Set-NetFirewallRule -Name $rule -LocalPort $newPort');
    const port = text.indexOf('Set-ItemProperty -Path $rdpKey -Name PortNumber -Value $newPort');
    expect(firewall).toBeGreaterThan(0);
    expect(port).toBeGreaterThan(firewall);
    expect(text).toMatch(/\} catch \{[\s\S]*Undo-PortChange \$changed/);
  });
});

describe('free-rdp-port', () => {
  test('TermService running without listening is restarted once the port is free', () => {
    const vm = vmOf('sim-port-stoppable');
    expect(vm.listener()?.services).toEqual(['W3SVC']);
    const { result } = run(vm, 'free-rdp-port', { ServiceName: 'W3SVC' });
    expect(result).toMatchObject({
      ok: true,
      data: {
        stoppedService: 'W3SVC',
        restartedTermService: true,
        termServiceBefore: { name: 'TermService', status: 'Running', startMode: 'Manual' },
        listener: { services: ['TermService'] },
      },
    });
  });

  test('with no service named: a running TermService that does not listen is restarted', () => {
    const vm = vmOf('sim-healthy', { rdpListenerBound: false });
    expect(vm.listener()).toBeNull();
    const { result } = run(vm, 'free-rdp-port');
    expect(result).toMatchObject({ ok: true, data: { stoppedService: null, restartedTermService: true } });
  });

  test('a stopped TermService is started, not restarted', () => {
    const vm = vmOf('sim-rdp-stopped');
    const { result } = run(vm, 'free-rdp-port');
    expect(result).toMatchObject({ ok: true, data: { restartedTermService: false } });
  });

  test('a shared svchost: no service is stopped, the operator is told why', () => {
    const vm = vmOf('sim-port-shared-svchost');
    const { result } = run(vm, 'free-rdp-port', { ServiceName: 'iphlpsvc' });
    expect(result.ok).toBe(false);
    expect(result.error).toBe(
      'svchost (pid 1312) hosts iphlpsvc, Themes, ShellHWDetection: which one holds port 3389 cannot be told from the process, so none is stopped; stop the right one yourself or move RDP to another port',
    );
    expect(vm.state.portOwner?.services).toEqual(['iphlpsvc', 'Themes', 'ShellHWDetection']);
  });

  test('a service with running dependents is not stopped (no silent -Force)', () => {
    const base = Scenarios['sim-port-stoppable']?.(now());
    const vm = vmOf('sim-port-stoppable', {
      portOwner: { ...base!.portOwner!, runningDependents: ['WAS'] },
    });
    const { result } = run(vm, 'free-rdp-port', { ServiceName: 'W3SVC' });
    expect(result.ok).toBe(false);
    expect(result.error).toContain('would also stop the services that depend on it (WAS)');
    expect(vm.state.portOwner).not.toBeNull();
  });

  test('a service that does not hold the port is not stopped', () => {
    const vm = vmOf('sim-port-stoppable');
    const { result } = run(vm, 'free-rdp-port', { ServiceName: 'Spooler' });
    expect(result).toMatchObject({
      ok: false,
      error: 'Spooler does not hold port 3389: svchost (pid 2210) does',
    });
  });

  test('the script never uses Stop-Service -Force', () => {
    const code = script('free-rdp-port')
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'));
    expect(code.filter((line) => /^\s*Stop-Service\b/.test(line))).toEqual([
      '        Stop-Service -Name $ServiceName',
    ]);
  });
});

test.each([
  ['sim-port-stoppable', 'free-rdp-port', { ServiceName: 'W3SVC' }],
  ['sim-port-unstoppable', 'change-rdp-port', { Port: '3390' }],
  ['sim-port-no-firewall-rule', 'change-rdp-port', { Port: '3390' }],
  ['sim-tls-disabled', 'enable-tls', { Versions: 'all' }],
])('%s %s: the result line stays well under the 4,096-byte output tail', (scenario, id, params) => {
  const { line } = run(vmOf(scenario), id, params);
  expect(Buffer.byteLength(line)).toBeLessThan(2048);
});
