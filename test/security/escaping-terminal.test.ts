import { Readable } from 'node:stream';
import { runChat } from '../../src/cli/chat';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { conversationOf, createRuntime } from '../../src/runtime';
import { LocalTestEnv } from '../helpers/local-env';

/**
 * Issue 17 item 6, the terminal (`rdp-fix chat`): a program on the VM named with escape
 * sequences — an OSC 8 hyperlink that shows "Re-authenticate" and opens evil.example, a
 * clear-screen, a bidi override — must print as visible text, not drive the terminal. The
 * real runtime (engine, the Azure SDK against the simulator) behind the real chat loop.
 */
const Osc8Link = '\u001b]8;;https://evil.example/sso\u001b\\Re-authenticate\u001b]8;;\u001b\\';
const ClearScreen = '\u001b[2J\u001b[1;1H';
const Hostile = `${Osc8Link} ${ClearScreen} invoice\u202Eexe.txt`;

test('escape sequences from a VM print as text at the terminal', async () => {
  let out = '';
  const code = await runChat(
    ['sim-port-stoppable'],
    'en',
    { input: Readable.from(['a\n', 'b\n']), out: (t) => (out += t) },
    async (sink) => {
      const config = loadConfig({ ...LocalTestEnv });
      const runtime = await createRuntime(config, sink, silentLogger);
      const vm = runtime.simulator?.windowsVm('rg-sim', 'sim-port-stoppable');
      if (vm) vm.state.portOwner = { process: Hostile, pid: 666, services: ['W3SVC'], acceptStop: true };
      return {
        conversation: conversationOf(runtime, config),
        idle: () => runtime.engine.idle(),
        localMode: true,
        close: () => runtime.close(),
      };
    },
  );
  expect(code).toBe(3); // aborted after the diagnosis, as typed
  // The diagnosis said who holds the port, with every control character made visible.
  expect(out).toContain('\uFFFD]8;;https://evil.example/sso\uFFFD\\Re-authenticate');
  expect(out).toContain('invoice\uFFFDexe.txt');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may be printed
  expect(out).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202E]/);
});
