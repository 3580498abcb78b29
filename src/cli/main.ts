import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { isLoopback } from '../azure/loopback-pipeline';
import { type Config, loadConfig } from '../config';
import { formatProblem, messageOf, PlaybookInvalid } from '../core/errors';
import { silentLogger } from '../core/logger';
import type { MessageSink } from '../engine/messages';
import { compilePlaybook } from '../playbook/compile-playbook';
import { loadPlaybook, loadPlaybooks, type Playbook } from '../playbook/load-playbook';
import { renderMermaid } from '../playbook/render-mermaid';
import { conversationOf, createRuntime, SimulatorSubscription } from '../runtime';
import { ArmSimulator, ResetPath } from '../simulator/arm-simulator';
import { loadInventory } from '../simulator/inventory';
import { openStore } from '../store/open-store';
import { buildExport, renderJson, renderMarkdown } from '../transcripts/render-transcript';
import { type ChatSession, runChat } from './chat';
import { labCommand } from './lab';

export interface CliIo {
  input: Readable;
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
  /** For `simulate --reset`; the global fetch when not given. */
  fetch?: typeof fetch;
}

const defaultIo: CliIo = {
  // Read when a command asks for it, not when this module loads: `process.stdin` opens fd 0
  // on first use (a Socket when it is a pipe), and an open stdin kept a test worker that only
  // imported this module (for `Usage`, or `main` with its own io) from exiting.
  get input() {
    return process.stdin;
  },
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
};

export const Usage = `rdp-fix — fixes Azure VMs that refuse Remote Desktop with "An internal error has occurred"

Usage:
  rdp-fix playbook validate [dir]       validate dialogs/*/playbook.yaml (or one playbook folder)
  rdp-fix playbook graph [dir]          print the compiled playbook as a Mermaid flowchart
  rdp-fix transcripts list [--status open|closed] [--vm <name>] [--limit N]
  rdp-fix transcripts show <id>         print an incident's transcript (Markdown)
  rdp-fix transcripts export <id> --format md|json [--out <file>]
  rdp-fix transcripts verify <id>       check the transcript's hash chain (exit 1 if broken)
  rdp-fix chat <vm> [--rg <group>] [--all] [--offline]   run a whole incident in the terminal (simulator by default)
  rdp-fix simulate [--port N] [--latency F] [--inventory file.json]   run the ARM simulator alone
  rdp-fix simulate --reset [--endpoint http://127.0.0.1:PORT]   put a running simulator's VMs back
                                        in their starting state (default endpoint: AZURE_ARM_ENDPOINT).
                                        The simulated VMs keep their repairs until then, or until
                                        the process (npm start in local mode) restarts.
  rdp-fix lab create|break|destroy|status   a throwaway Windows VM broken on purpose (rdp-fix lab help)
  rdp-fix help

Configuration comes from the environment (DATABASE_URL, RDPFIX_DIALOGS_DIR, ...): see README.md.
`;

/** The command line. Returns the exit code; never calls process.exit, so tests can run it. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [group, action, ...rest] = argv;
  try {
    if (group === 'playbook' && (action === 'validate' || action === 'graph'))
      return playbookCommand(action, rest, io);
    if (group === 'transcripts' && action) return await transcriptsCommand(action, rest, io);
    if (group === 'chat') {
      const config = loadConfig(io.env);
      return await runChat(argv.slice(1), config.locale, { input: io.input, out: io.out }, (sink) =>
        openChatSession(config, sink),
      );
    }
    if (group === 'simulate') return await simulate(argv.slice(1), io);
    if (group === 'lab') return await labCommand(argv.slice(1), io);
    if (!group || group === 'help' || group === '--help' || group === '-h') {
      io.out(Usage);
      return 0;
    }
    io.err(`Unknown command: ${argv.join(' ')}\n\n${Usage}`);
    return 2;
  } catch (err) {
    io.err(`${messageOf(err)}\n`);
    return 1;
  }
}

/** `rdp-fix chat`'s composition: a runtime of its own, closed when the session ends. */
async function openChatSession(config: Config, sink: MessageSink): Promise<ChatSession> {
  const runtime = await createRuntime(config, sink, silentLogger);
  return {
    conversation: conversationOf(runtime, config),
    idle: () => runtime.engine.idle(),
    localMode: runtime.simulator !== undefined,
    close: () => runtime.close(),
  };
}

function playbookCommand(action: 'validate' | 'graph', args: string[], io: CliIo): number {
  const dir = args[0] ?? loadConfig(io.env).dialogsDir;
  let playbooks: Playbook[];
  try {
    playbooks = existsSync(join(dir, 'playbook.yaml')) ? [loadPlaybook(dir)] : loadPlaybooks(dir);
  } catch (err) {
    if (err instanceof PlaybookInvalid) {
      io.err(`${err.problems.map(formatProblem).join('\n')}\n${err.problems.length} problem(s) found.\n`);
      return 1;
    }
    throw err;
  }
  if (playbooks.length === 0) {
    io.err(`No playbook.yaml found in ${dir} or its folders.\n`);
    return 1;
  }
  for (const p of playbooks) {
    if (action === 'validate') {
      compilePlaybook(p);
      io.out(
        `ok: ${p.id} v${p.version}: ${p.steps.length} steps, ${p.causes.length} causes, ${Object.keys(p.scripts).length} scripts\n`,
      );
    } else {
      io.out(renderMermaid(p, compilePlaybook(p)));
    }
  }
  return 0;
}

async function transcriptsCommand(action: string, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      out: { type: 'string' },
      status: { type: 'string' },
      vm: { type: 'string' },
      limit: { type: 'string' },
    },
  });
  const store = await openStore(loadConfig(io.env).database);
  try {
    if (action === 'list') {
      if (values.status && values.status !== 'open' && values.status !== 'closed') {
        io.err('--status must be open or closed\n');
        return 2;
      }
      const records = await store.list({
        ...(values.status ? { status: values.status as 'open' | 'closed' } : {}),
        ...(values.vm ? { vmName: values.vm } : {}),
        limit: Number(values.limit ?? 50),
      });
      if (records.length === 0) io.out('No incidents.\n');
      for (const r of records) {
        io.out(
          `${r.id}  ${r.createdAt}  ${r.vm.resourceGroup}/${r.vm.name}  ${r.status}  ${r.outcome ?? r.state}  ${r.causes.join(',') || '-'}\n`,
        );
      }
      return 0;
    }
    const id = positionals[0];
    if (!id || !['show', 'export', 'verify'].includes(action)) {
      io.err(Usage);
      return 2;
    }
    const record = await store.get(id);
    if (!record) {
      io.err(`There is no incident ${id}.\n`);
      return 1;
    }
    const x = buildExport(record, await store.transcript(id));
    if (action === 'verify') {
      if (x.verification.ok) io.out(`ok: ${x.verification.entries} entries, hash chain verified\n`);
      else io.err(`BROKEN at entry ${x.verification.seq}: ${x.verification.problem}\n`);
      return x.verification.ok ? 0 : 1;
    }
    const format = action === 'show' ? 'md' : values.format;
    if (format !== 'md' && format !== 'json') {
      io.err('--format must be md or json\n');
      return 2;
    }
    const text = format === 'md' ? renderMarkdown(x) : renderJson(x);
    if (values.out) {
      writeFileSync(values.out, text);
      io.out(`Wrote ${values.out}\n`);
    } else {
      io.out(text);
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** Runs the ARM simulator alone until interrupted, for pointing AZURE_ARM_ENDPOINT at it; or resets one. */
async function simulate(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      latency: { type: 'string' },
      inventory: { type: 'string' },
      reset: { type: 'boolean' },
      endpoint: { type: 'string' },
    },
  });
  if (values.reset) return resetSimulator(values.endpoint ?? io.env.AZURE_ARM_ENDPOINT, io);
  const inventory = values.inventory ?? loadConfig(io.env).simulator.inventoryFile;
  const simulator = new ArmSimulator({
    subscriptionId: SimulatorSubscription,
    latencyScale: Number(values.latency ?? 0.05),
    ...(inventory ? { vms: loadInventory(inventory) } : {}),
  });
  const url = await simulator.listen(Number(values.port ?? 0));
  io.out(
    `ARM simulator at ${url}\n  AZURE_SUBSCRIPTION_ID=${SimulatorSubscription} AZURE_ARM_ENDPOINT=${url} npm start\nVMs: sim-all-three, sim-tls-gpo, sim-port-stoppable, … in rg-sim. They keep their repairs until\n\`rdp-fix simulate --reset --endpoint ${url}\` or Ctrl-C, which stops it.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await simulator.close();
  return 0;
}

/**
 * `rdp-fix simulate --reset`: puts a running simulator's VMs back in their starting state
 * (repairs last as long as its process otherwise). Loopback only: it is never Azure.
 */
async function resetSimulator(endpoint: string | undefined, io: CliIo): Promise<number> {
  if (!endpoint) {
    io.err(
      "Which simulator? Give --endpoint http://127.0.0.1:<port>: the address `rdp-fix simulate` printed, or the simulator address in `npm start`'s start-up summary (local mode).\n",
    );
    return 2;
  }
  let url: URL;
  try {
    url = new URL(ResetPath, endpoint);
  } catch {
    io.err(`--endpoint ${endpoint} is not an address\n`);
    return 2;
  }
  if (url.protocol !== 'http:' || !isLoopback(url)) {
    io.err(
      `--endpoint ${endpoint}: only a simulator on this machine (http://127.0.0.1:<port>) can be reset\n`,
    );
    return 2;
  }
  const res = await (io.fetch ?? fetch)(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  if (!res.ok) {
    io.err(`The simulator at ${endpoint} refused the reset (${res.status}): ${await res.text()}\n`);
    return 1;
  }
  const { reset } = (await res.json()) as { reset: number };
  io.out(
    `Reset ${reset} simulated VMs at ${endpoint} to their starting state (incidents already stored are kept).\n`,
  );
  return 0;
}
