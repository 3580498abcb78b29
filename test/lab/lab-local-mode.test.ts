import { PassThrough, Readable } from 'node:stream';
import { runChat } from '../../src/cli/chat';
import { main } from '../../src/cli/main';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import type { MessageSink } from '../../src/engine/messages';
import { conversationOf, createRuntime, type Runtime } from '../../src/runtime';
import { LocalTestEnv } from '../helpers/local-env';

/**
 * The lab as an operator runs it in local mode: the server's runtime with its in-process
 * simulator (as `npm start` without Azure settings), `rdp-fix lab` pointed at the simulator's
 * address from the start-up summary, then a normal incident at the terminal by the VM's name
 * alone, then `lab destroy`.
 */
test('local mode: lab create → break tls-disabled → rdp-fix chat by name → lab destroy', async () => {
  let forward: MessageSink = () => undefined;
  const config = loadConfig({ ...LocalTestEnv });
  const runtime: Runtime = await createRuntime(config, (d) => forward(d), silentLogger);
  try {
    const endpoint = runtime.simulator?.url ?? '';
    let out = '';
    const io = {
      input: Readable.from([]),
      out: (t: string) => (out += t),
      err: (t: string) => (out += t),
      env: { RDPFIX_POLL_INTERVAL_MS: '5' },
    };
    // No AZURE_SUBSCRIPTION_ID: a loopback endpoint means the simulator and its subscription.
    expect(
      await main(
        ['lab', 'create', '--rg', 'rg-lab', '--name', 'lab-vm-01', '--yes', '--endpoint', endpoint],
        io,
      ),
    ).toBe(0);
    expect(await main(['lab', 'break', 'tls-disabled', '--yes', '--endpoint', endpoint], io)).toBe(0);
    expect(out).toContain('break-tls-disabled: done');

    let chat = '';
    // An operator who approves every step, confirms what asks to be confirmed and answers the
    // last question "RDP works" (whatever steps the playbook of the day has); 30 answers at most.
    const typed = new PassThrough();
    let answers = 0;
    const answer = (text: string) => {
      const line = text.endsWith('Type yes to go ahead: ')
        ? 'yes'
        : text.endsWith('> answer number, [b] abort, [u]ndo [step]: ')
          ? '1'
          : text.endsWith('[u]ndo [step]: ')
            ? 'a'
            : undefined;
      if (line === undefined) return;
      if (++answers > 30) typed.end();
      else typed.write(`${line}\n`);
    };
    const code = await runChat(
      ['lab-vm-01'],
      'en',
      {
        input: typed,
        out: (t) => {
          chat += t;
          answer(t);
        },
      },
      async (sink) => {
        forward = sink;
        return {
          conversation: conversationOf(runtime, config),
          idle: () => runtime.engine.idle(),
          localMode: true,
          close: async () => undefined,
        };
      },
    );
    expect(chat).toContain('lab-vm-01');
    expect(chat).toContain("Found 1 of the article's causes:\n  - TLS is disabled on the server side");
    expect(chat).toMatch(/Resolved\.\n/);
    expect(code).toBe(0);

    out = '';
    expect(await main(['lab', 'destroy', '--rg', 'rg-lab', '--yes', '--endpoint', endpoint], io)).toBe(0);
    expect(out).toContain('Lab removed from rg-lab.');
    expect(await runtime.vm.resolveVm('lab-vm-01')).toEqual([]);
    expect(await runtime.vm.resolveVm('sim-tls-disabled')).toHaveLength(1);
  } finally {
    await runtime.close();
  }
});
