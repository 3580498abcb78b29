import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { generateAdminPassword } from '../lab/admin-password';
import {
  findBreakTarget,
  labScriptsDir,
  readBreakScript,
  restartLabVm,
  runBreakScript,
} from '../lab/break-lab';
import { confirm } from '../lab/confirm';
import { createLab, labVmExists } from '../lab/create-lab';
import { destroyLab, KindNames } from '../lab/destroy-lab';
import { findLab, findLabVms } from '../lab/find-lab';
import { isLabCause, LabCauseDescriptions, LabCauses, LabTag } from '../lab/lab-causes';
import { costEstimate, defaultShutdownAt, planLab } from '../lab/lab-plan';
import { isAzure, type LabClients, labClients, labTargetOf } from '../lab/lab-target';

export const LabUsage = `rdp-fix lab — a throwaway Windows VM to prove the playbook on, broken on purpose

  rdp-fix lab create --rg <group> [--location L] [--name N] [--size S] [--shutdown HHmm] [--yes]
  rdp-fix lab break <cause> [--name N] [--rg <group>] [--restart] [--yes]
        causes: ${LabCauses.join(', ')}
  rdp-fix lab destroy --rg <group> [--lab <id>] [--yes]   deletes only resources tagged ${LabTag}
  rdp-fix lab status [--rg <group>]
  Every command takes --endpoint http://127.0.0.1:PORT (the simulator) or uses AZURE_ARM_ENDPOINT /
  AZURE_SUBSCRIPTION_ID (Azure, signed in with DefaultAzureCredential). Creating, breaking and
  deleting ask first; without a terminal they need --yes.
`;

export interface LabIo {
  input: Readable;
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
}

/** What the lab commands take from outside: the clock, random ids, and (tests) the clients. */
export interface LabDeps {
  now: () => Date;
  labId: () => string;
  password: () => string;
  clients?: (target: ReturnType<typeof labTargetOf>) => Promise<LabClients>;
}

const defaultDeps: LabDeps = {
  now: () => new Date(),
  labId: () => randomBytes(4).toString('hex'),
  password: () => generateAdminPassword(),
};

const Options = {
  rg: { type: 'string' },
  location: { type: 'string' },
  name: { type: 'string' },
  size: { type: 'string' },
  shutdown: { type: 'string' },
  lab: { type: 'string' },
  endpoint: { type: 'string' },
  yes: { type: 'boolean' },
  restart: { type: 'boolean' },
} as const;

/** What every lab command works with, once the arguments are read and the target is known. */
interface LabContext {
  io: LabIo;
  deps: LabDeps;
  values: { [K in keyof typeof Options]?: (typeof Options)[K]['type'] extends 'boolean' ? boolean : string };
  positionals: string[];
  clients: LabClients;
  /** The target, said in every command's first line (and whether it costs). */
  where: string;
  /** Asks before a change: undefined to go on, else the exit code to stop with. */
  ask(question: string, verb: string): Promise<number | undefined>;
}

const Commands: Record<string, (c: LabContext) => Promise<number>> = {
  create: createCommand,
  break: breakCommand,
  destroy: destroyCommand,
  status: statusCommand,
};

/** `rdp-fix lab …`. Returns the exit code: 0 done, 1 failed or declined, 2 a usage problem or a refusal. */
export async function labCommand(args: string[], io: LabIo, deps: LabDeps = defaultDeps): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: Options });
  const command = action ? Commands[action] : undefined;
  if (!command) {
    io.out(LabUsage);
    return action && action !== 'help' ? 2 : 0;
  }
  if ((action === 'create' || action === 'destroy') && !values.rg) {
    io.err(`lab ${action} needs --rg <resource group>\n\n${LabUsage}`);
    return 2;
  }
  const target = labTargetOf(io.env, values.endpoint);
  const clients = await (deps.clients ?? labClients)(target);
  const where = target.loopback
    ? `the simulator at ${target.loopback}, which costs nothing`
    : `Azure subscription ${target.subscriptionId}`;
  const ask = async (question: string, verb: string): Promise<number | undefined> => {
    const answer = await confirm(question, io, { yes: values.yes === true });
    if (answer === 'yes') return undefined;
    if (answer === 'refused') {
      io.err(
        `Nothing ${verb}: lab ${action} asks first and there is no terminal to ask in. Run it in a terminal, or add --yes.\n`,
      );
      return 2;
    }
    io.out(`Nothing ${verb}.\n`);
    return 1;
  };
  return command({ io, deps, values, positionals, clients, where, ask });
}

async function createCommand({ io, deps, values, clients, where, ask }: LabContext): Promise<number> {
  const rg = values.rg ?? '';
  const plan = planLab({
    resourceGroup: rg,
    location: values.location ?? 'westeurope',
    name: values.name ?? 'rdpfix-lab',
    size: values.size ?? 'Standard_B2s',
    labId: deps.labId(),
    shutdownAt: values.shutdown ?? defaultShutdownAt(deps.now()),
  });
  if (await labVmExists(clients, plan)) {
    io.err(
      `A VM named ${plan.vm} exists already in ${rg}: choose another --name (or destroy the old lab).\n`,
    );
    return 1;
  }
  io.out(
    `Target: ${where}.\nlab create will make in resource group ${rg} (${plan.options.location}), each tagged ${LabTag}=${plan.options.labId}:\n`,
  );
  for (const r of plan.resources) io.out(`  - ${r.type} ${r.name}: ${r.what}\n`);
  if (isAzure(clients.target)) io.out(`${costEstimate(plan.options.size)}\n`);
  const stop = await ask(`Create these ${plan.resources.length} resources?`, 'created');
  if (stop !== undefined) return stop;
  try {
    await createLab(clients, plan, deps.password(), (line) => io.out(`${line}\n`));
  } catch (err) {
    io.err(
      `Creating the lab stopped. What was made is tagged ${LabTag}=${plan.options.labId}: \`rdp-fix lab destroy --rg ${rg}\` removes it.\n`,
    );
    throw err;
  }
  io.out(
    `Lab ${plan.options.labId} is ready: VM ${plan.vm} in ${rg}, healthy.\n` +
      `Next: rdp-fix lab break <cause> --name ${plan.vm} (${LabCauses.join(', ')}),\n` +
      `then run an incident as usual (/rdp-fix ${plan.vm}, or rdp-fix chat ${plan.vm} --rg ${rg}),\n` +
      `and at the end: rdp-fix lab destroy --rg ${rg}\n`,
  );
  return 0;
}

async function breakCommand({ io, values, positionals, clients, where, ask }: LabContext): Promise<number> {
  const cause = positionals[0] ?? '';
  if (!isLabCause(cause)) {
    io.err(`Which cause? One of ${LabCauses.join(', ')}.\n`);
    return 2;
  }
  const script = readBreakScript(labScriptsDir(), cause);
  const vm = await findBreakTarget(clients, values.name, values.rg);
  io.out(
    `Target: ${where}.\nbreak-${cause} on lab VM ${vm.resourceGroup}/${vm.name} (lab ${vm.labId}): ${LabCauseDescriptions[cause]}.\n`,
  );
  const stop = await ask(`Break ${vm.name}?`, 'changed');
  if (stop !== undefined) return stop;
  const result = await runBreakScript(clients, vm, cause, script);
  if (!result.readable) {
    io.err(
      `The break script's output is unreadable: ${result.reason}${result.stderr ? `\n${result.stderr}` : ''}\n`,
    );
    return 1;
  }
  const { ok, log, data, error } = result.result;
  io.out(
    `break-${cause}: ${ok ? 'done' : `FAILED: ${error ?? ''}`} (log on the VM: ${log})\n${JSON.stringify(data)}\n`,
  );
  if (!ok) return 1;
  if (values.restart) {
    await restartLabVm(clients, vm);
    io.out(`Restarted ${vm.name}.\n`);
  } else if (cause !== 'port-taken' && cause !== 'cert-expired') {
    io.out(
      'Windows reads these settings when it starts: add --restart (or restart the VM) for RDP to fail as it would in real life.\n',
    );
  }
  io.out(
    `Now run an incident on ${vm.name} (/rdp-fix ${vm.name}, or rdp-fix chat ${vm.name} --rg ${vm.resourceGroup}).\n`,
  );
  return 0;
}

async function destroyCommand({ io, values, clients, where, ask }: LabContext): Promise<number> {
  const rg = values.rg ?? '';
  const found = (await findLab(clients, rg)).filter((r) => !values.lab || r.labId === values.lab);
  if (found.length === 0) {
    io.out(
      `Nothing tagged ${LabTag}${values.lab ? `=${values.lab}` : ''} in ${rg} (${where}): nothing to delete.\n`,
    );
    return 0;
  }
  io.out(
    `Target: ${where}.\nlab destroy will delete from ${rg} these resources tagged ${LabTag} (nothing else):\n`,
  );
  for (const r of found) io.out(`  - ${KindNames[r.kind]} ${r.name} (lab ${r.labId})\n`);
  const stop = await ask(`Delete these ${found.length} resources?`, 'deleted');
  if (stop !== undefined) return stop;
  await destroyLab(clients, found, (line) => io.out(`${line}\n`));
  io.out(`Lab removed from ${rg}.\n`);
  return 0;
}

async function statusCommand({ io, values, clients, where }: LabContext): Promise<number> {
  const found = values.rg ? await findLab(clients, values.rg) : await findLabVms(clients);
  if (found.length === 0) {
    io.out(`No resources tagged ${LabTag}${values.rg ? ` in ${values.rg}` : ''} (${where}).\n`);
    return 0;
  }
  io.out(`Lab resources (${where}):\n`);
  for (const r of found) {
    const power = r.kind === 'vm' ? ` — ${await powerStateOf(clients, r.resourceGroup, r.name)}` : '';
    io.out(`  ${r.resourceGroup}  ${KindNames[r.kind]} ${r.name}  lab ${r.labId}${power}\n`);
  }
  return 0;
}

async function powerStateOf(clients: LabClients, rg: string, name: string): Promise<string> {
  const view = await clients.compute.virtualMachines.instanceView(rg, name);
  return (
    view.statuses?.find((s) => s.code?.startsWith('PowerState/'))?.displayStatus ?? 'power state unknown'
  );
}
