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
  certificate: { present: boolean; hasPrivateKey: boolean };
  machineKeys: { aclOk: boolean; missing: string[] };
  tls: Record<string, number | null>;
}

const ids = (evidence: unknown) => evaluateCauses(rdpPlaybook().causes, evidence).map((c) => c.id);

describe('evidence → causes', () => {
  test('a healthy VM shows none of the causes', () => {
    expect(ids(fixture('healthy'))).toEqual([]);
  });

  test('another service on the RDP port is a port conflict, with the owner named in the reason', () => {
    const [finding] = evaluateCauses(rdpPlaybook().causes, fixture('port-w3svc'));
    expect(finding?.id).toBe('port-conflict');
    expect(finding?.reason.en).toBe('TermService does not own port 3389: svchost (W3SVC, WAS) does');
    expect(finding?.reason.it).toBe('TermService non possiede la porta 3389: la usa svchost (W3SVC, WAS)');
  });

  test('all three causes at once, in the article order, with their reasons', () => {
    const findings = evaluateCauses(rdpPlaybook().causes, fixture('all-three-domain'));
    expect(findings.map((f) => f.id)).toEqual(['certificate-invalid', 'machinekeys-acl', 'tls-disabled']);
    expect(findings[1]?.reason.en).toContain('NT AUTHORITY\\NETWORK SERVICE, BUILTIN\\Administrators');
    expect(findings[0]?.reason.en).toContain('expired true');
    expect(findings[2]?.reason.en).toContain('domain joined true');
  });

  test('nothing listening and no certificate; TLS 1.0/1.1 off alone is hardening, not a cause', () => {
    expect(ids(fixture('nothing-listening-no-cert'))).toEqual(['rdp-not-listening', 'certificate-invalid']);
    const reason = evaluateCauses(rdpPlaybook().causes, fixture('nothing-listening-no-cert'))[0]?.reason.en;
    expect(reason).toBe('Nothing listens on port 3390; TermService is Stopped');
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
    expect(variant((e) => (e.machineKeys = { aclOk: false, missing: ['BUILTIN\\Administrators'] }))).toEqual([
      'machinekeys-acl',
    ]);
    expect(variant((e) => (e.tls['TLS 1.2'] = 0))).toEqual(['tls-disabled']);
    expect(variant((e) => (e.listener = null))).toEqual(['rdp-not-listening']);
  });

  test('missing or garbled evidence never produces a cause by guess', () => {
    expect(ids({})).toEqual([]);
    expect(ids({ listener: 'svchost', certificate: 'expired', tls: [0] })).toEqual([]);
    expect(ids(null)).toEqual([]);
  });

  test('every simulator scenario maps to the causes it was built for', () => {
    const now = () => new Date('2026-11-25T12:00:00Z');
    const causesOf = (name: string) =>
      ids(new SimulatedWindowsVm(name, Scenarios[name]!(now()), now).evidence());
    expect(causesOf('sim-healthy')).toEqual([]);
    expect(causesOf('sim-port-stoppable')).toEqual(['port-conflict']);
    expect(causesOf('sim-port-unstoppable')).toEqual(['port-conflict']);
    expect(causesOf('sim-rdp-stopped')).toEqual(['rdp-not-listening']);
    expect(causesOf('sim-cert-expired')).toEqual(['certificate-invalid']);
    expect(causesOf('sim-machinekeys')).toEqual(['machinekeys-acl']);
    expect(causesOf('sim-tls-disabled')).toEqual(['tls-disabled']);
    expect(causesOf('sim-tls-gpo')).toEqual(['tls-disabled']);
    expect(causesOf('sim-all-three')).toEqual(['certificate-invalid', 'machinekeys-acl', 'tls-disabled']);
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
