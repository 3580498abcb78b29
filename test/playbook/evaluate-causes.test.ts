import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateCauses, matches } from '../../src/playbook/evaluate-causes';
import { Scenarios } from '../../src/simulator/scenarios';
import { SimulatedWindowsVm } from '../../src/simulator/windows-vm';
import { rdpPlaybook } from '../helpers/engine-harness';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'evidence', `${name}.json`), 'utf8'));
/** The evidence fields the variants below change. */
interface EvidenceShape {
  listener: unknown;
  certificate: { present: boolean; hasPrivateKey: boolean; keyFile: { found: boolean; readable: boolean } };
  tls: Record<string, number | null>;
  tlsDisabledByDefault: Record<string, number | null>;
  rdp: {
    fDenyTSConnections: number | null;
    policyDeny: number | null;
    minEncryptionLevel: number | null;
    lanAdapter: number | null;
  };
  nla: { securityLayer: number | null };
  services: { TermService: { startType: string } };
  events: Record<string, number>;
  probe: { tcp: boolean; x224: boolean; tls: string | null; error: string | null };
}

const ids = (evidence: unknown) => evaluateCauses(rdpPlaybook().causes, evidence).map((c) => c.id);

describe('evidence → causes', () => {
  test('a healthy VM shows none of the causes', () => {
    expect(ids(fixture('healthy'))).toEqual([]);
  });

  test("Windows' default MachineKeys folder ACL is no cause: only the listener key's own ACL is", () => {
    // KB 278381: the folder grants Administrators and Everyone, not the article's three. What
    // version 1 flagged (the folder lacking the article's grants) with a key file NETWORK
    // SERVICE can read is no cause; the same with the key file unreadable is.
    const folderOnly = {
      ...fixture('healthy'),
      machineKeys: { aclOk: false, missing: ['NT AUTHORITY\\NETWORK SERVICE'] },
    };
    expect(ids(folderOnly)).toEqual([]);
    const keyDenied = structuredClone(folderOnly) as unknown as {
      certificate: { keyFile: { readable: boolean } };
    };
    keyDenied.certificate.keyFile.readable = false;
    expect(ids(keyDenied)).toEqual(['machinekeys-acl']);
  });

  test('another service on the RDP port is a port conflict, with the owner named in the reason', () => {
    const [finding] = evaluateCauses(rdpPlaybook().causes, fixture('port-w3svc'));
    expect(finding?.id).toBe('port-conflict');
    expect(finding?.reason.en).toBe(
      'TermService does not own port 3389: svchost (PID 2210, services W3SVC, WAS, on 0.0.0.0) does',
    );
    expect(finding?.reason.it).toBe(
      'TermService non possiede la porta 3389: la usa svchost (PID 2210, servizi W3SVC, WAS, su 0.0.0.0)',
    );
  });

  test('all three causes at once, in the article order, each reason quoting its evidence', () => {
    const findings = evaluateCauses(rdpPlaybook().causes, fixture('all-three-domain'));
    expect(findings.map((f) => f.id)).toEqual(['certificate-invalid', 'machinekeys-acl', 'tls-disabled']);
    expect(findings[0]?.reason.en).toContain('expired true');
    expect(findings[0]?.reason.en).toContain('events 1057/1058 in 24 h: 0/2');
    expect(findings[1]?.reason.en).toContain(
      "NETWORK SERVICE cannot read the listener's key file C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys\\f686aace",
    );
    expect(findings[1]?.reason.en).toContain('Schannel event 36870 ×14 in 24 h');
    expect(findings[2]?.reason.en).toContain('Schannel event 36874 ×9 in 24 h');
    expect(findings[2]?.reason.en).toContain('domain joined true');
  });

  test('TermService disabled and no certificate: said plainly, not "nothing listens"', () => {
    expect(ids(fixture('nothing-listening-no-cert'))).toEqual([
      'termservice-disabled',
      'certificate-invalid',
    ]);
    const reason = evaluateCauses(rdpPlaybook().causes, fixture('nothing-listening-no-cert'))[0]?.reason.en;
    expect(reason).toContain("TermService's start type is Disabled (status Stopped)");
  });

  test('a listener key NETWORK SERVICE cannot read, with a valid certificate, is the MachineKeys cause alone', () => {
    expect(ids(fixture('key-unreadable'))).toEqual(['machinekeys-acl']);
  });

  test('a pinned certificate is the one checked: an expired self-signed one nobody uses is no cause', () => {
    expect(ids(fixture('pinned-cert'))).toEqual([]);
  });

  test('checks that could not run are no cause and no health either', () => {
    expect(ids(fixture('checks-refused'))).toEqual([]);
    const refused = fixture('checks-refused') as { unknown: Record<string, string> };
    expect(Object.keys(refused.unknown)).toEqual(['certificate/keyFile', 'machineKeys/folder', 'events']);
  });

  test('each cause alone, changing one field of the healthy evidence', () => {
    const healthy = fixture('healthy');
    const variant = (patch: (e: EvidenceShape) => void) => {
      const e = structuredClone(healthy) as unknown as EvidenceShape;
      patch(e);
      return ids(e);
    };
    expect(variant((e) => (e.certificate.hasPrivateKey = false))).toEqual(['certificate-invalid']);
    expect(variant((e) => (e.certificate.present = false))).toEqual(['certificate-invalid']);
    expect(variant((e) => (e.certificate.keyFile = { found: false, readable: false }))).toEqual([
      'certificate-invalid',
    ]);
    expect(variant((e) => (e.certificate.keyFile.readable = false))).toEqual(['machinekeys-acl']);
    // Event 36870 alone is history; with a loopback handshake that fails it is proof.
    expect(variant((e) => (e.events.schannel36870 = 3))).toEqual([]);
    expect(
      variant((e) => {
        e.events.schannel36870 = 3;
        e.probe = { tcp: true, x224: true, tls: null, error: 'handshake failed' };
      }),
    ).toEqual(['machinekeys-acl']);
    expect(variant((e) => (e.tls['TLS 1.2'] = 0))).toEqual(['tls-disabled']);
    expect(variant((e) => (e.tlsDisabledByDefault['TLS 1.2'] = 1))).toEqual(['tls-disabled']);
    expect(variant((e) => (e.listener = null))).toEqual(['rdp-not-listening']);
    expect(
      variant((e) => {
        e.listener = null;
        e.rdp.fDenyTSConnections = 1;
      }),
    ).toEqual(['rdp-disabled']);
    // A policy that allows wins over a local deny; one that denies wins over a local allow.
    expect(
      variant((e) => {
        e.rdp.fDenyTSConnections = 1;
        e.rdp.policyDeny = 0;
      }),
    ).toEqual([]);
    expect(variant((e) => (e.rdp.policyDeny = 1))).toEqual(['rdp-disabled']);
    expect(variant((e) => (e.services.TermService.startType = 'Disabled'))).toEqual(['termservice-disabled']);
    expect(variant((e) => (e.rdp.minEncryptionLevel = 7))).toEqual(['listener-settings']);
    expect(variant((e) => (e.nla.securityLayer = 5))).toEqual(['listener-settings']);
    // LanAdapter other than 0 is a cause only when the loopback connection fails.
    expect(variant((e) => (e.rdp.lanAdapter = 2))).toEqual([]);
    expect(
      variant((e) => {
        e.rdp.lanAdapter = 2;
        e.probe = { tcp: false, x224: false, tls: null, error: 'refused' };
      }),
    ).toEqual(['listener-settings']);
  });

  test('missing or garbled evidence never produces a cause by guess', () => {
    expect(ids({})).toEqual([]);
    expect(ids({ listener: 'svchost', certificate: 'expired', tls: [0] })).toEqual([]);
    expect(ids(null)).toEqual([]);
  });

  test('every simulator scenario maps to the causes it was built for, and to no other', () => {
    const now = () => new Date('2026-11-25T12:00:00Z');
    const causesOf = (name: string) =>
      ids(new SimulatedWindowsVm(name, Scenarios[name]!(now()), now).evidence());
    expect(causesOf('sim-healthy')).toEqual([]);
    expect(causesOf('sim-port-stoppable')).toEqual(['port-conflict']);
    expect(causesOf('sim-port-unstoppable')).toEqual(['port-conflict']);
    expect(causesOf('sim-rdp-stopped')).toEqual(['rdp-not-listening']);
    expect(causesOf('sim-cert-expired')).toEqual(['certificate-invalid']);
    expect(causesOf('sim-machinekeys')).toEqual(['machinekeys-acl']);
    expect(causesOf('sim-key-unreadable')).toEqual(['machinekeys-acl']);
    expect(causesOf('sim-key-missing')).toEqual(['certificate-invalid']);
    expect(causesOf('sim-tls-disabled')).toEqual(['tls-disabled']);
    expect(causesOf('sim-tls-disabled-by-default')).toEqual(['tls-disabled']);
    expect(causesOf('sim-tls-gpo')).toEqual(['tls-disabled']);
    expect(causesOf('sim-all-three')).toEqual(['certificate-invalid', 'machinekeys-acl', 'tls-disabled']);
    expect(causesOf('sim-rdp-disabled')).toEqual(['rdp-disabled']);
    expect(causesOf('sim-termservice-disabled')).toEqual(['termservice-disabled']);
    expect(causesOf('sim-machinekeys-unreadable')).toEqual([]);
    expect(causesOf('sim-pinned-cert')).toEqual([]);
  });

  test("the simulated evidence has the fixtures' shape: the same fields, the same types", () => {
    const now = () => new Date('2026-11-25T12:00:00Z');
    const simulated = new SimulatedWindowsVm('sim-healthy', Scenarios['sim-healthy']!(now()), now).evidence();
    const shape = (v: unknown): unknown =>
      v === null || typeof v !== 'object'
        ? v === null
          ? 'null'
          : typeof v
        : Array.isArray(v)
          ? 'array'
          : Object.fromEntries(
              Object.entries(v)
                .filter(([k]) => k !== '$source')
                .map(([k, x]) => [k, shape(x)]),
            );
    const healthy = fixture('healthy');
    // TLS values: the fixture's null (absent = OS default) is the simulator's too.
    expect(shape(simulated)).toEqual(shape(healthy));
  });
});

describe('conditions', () => {
  test('operators', () => {
    const e = { a: { b: [1, 2] }, n: null, t: true, s: 'x' };
    expect(matches({ path: 'a/b', op: 'contains', value: 2 }, e)).toBe(true);
    expect(matches({ path: 'a/b', op: 'notContains', value: 2 }, e)).toBe(false);
    expect(matches({ path: 'a/b/0', op: 'eq', value: 1 }, e)).toBe(true);
    expect(matches({ path: 'n', op: 'isNull' }, e)).toBe(true);
    expect(matches({ path: 'missing', op: 'isNull' }, e)).toBe(false);
    expect(matches({ path: 'missing', op: 'ne', value: 1 }, e)).toBe(false);
    expect(matches({ path: 's', op: 'in', value: ['x', 'y'] }, e)).toBe(true);
    expect(matches({ not: { path: 't', op: 'isTrue' } }, e)).toBe(false);
    expect(
      matches(
        {
          all: [
            { path: 't', op: 'isTrue' },
            { path: 'a/b', op: 'notEmpty' },
          ],
        },
        e,
      ),
    ).toBe(true);
    expect(
      matches(
        {
          any: [
            { path: 't', op: 'isFalse' },
            { path: 'a/b', op: 'empty' },
          ],
        },
        e,
      ),
    ).toBe(false);
  });
});
