import { parseScriptOutput } from '../../src/playbook/script-result';

const line = (o: unknown) => `RDPFIX-RESULT: ${JSON.stringify(o)}`;
const ok = {
  step: 'diagnose',
  ok: true,
  log: 'C:\\ProgramData\\rdp-fix\\logs\\diagnose-20261125-120000.log',
  data: { rdpPort: 3389 },
};

describe('reading a script result', () => {
  test('the last marker line wins, after any noise', () => {
    const out = `WARNING: something\n${line({ ...ok, data: { rdpPort: 1 } })}\nmore noise\n${line(ok)}\r\n`;
    expect(parseScriptOutput(out, 'diagnose')).toEqual({ readable: true, result: ok });
  });

  test('a missing marker (output cut to 4,096 bytes) is unreadable, with the log path if seen', () => {
    const out = `...truncated ${'x'.repeat(100)} log C:\\ProgramData\\rdp-fix\\logs\\diagnose-20261125-120000.log written`;
    expect(parseScriptOutput(out, 'diagnose')).toEqual({
      readable: false,
      reason: 'no RDPFIX-RESULT: line in the output (truncated or the script stopped early)',
      log: 'C:\\ProgramData\\rdp-fix\\logs\\diagnose-20261125-120000.log',
    });
  });

  test('garbled JSON, a wrong shape, or another script are unreadable, never guessed', () => {
    expect(parseScriptOutput('RDPFIX-RESULT: {"step": "diagnose", "ok": tru', 'diagnose')).toMatchObject({
      readable: false,
      reason: expect.stringContaining('not valid JSON'),
    });
    expect(
      parseScriptOutput(line({ step: 'diagnose', ok: 'yes', log: '', data: {} }), 'diagnose'),
    ).toMatchObject({ readable: false, reason: expect.stringContaining('wrong shape') });
    expect(parseScriptOutput(line({ ...ok, step: 'enable-tls' }), 'diagnose')).toMatchObject({
      readable: false,
      reason: expect.stringContaining('expected "diagnose"'),
    });
    expect(parseScriptOutput('', 'diagnose').readable).toBe(false);
  });
});
