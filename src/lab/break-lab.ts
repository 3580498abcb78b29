import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { callAzure } from '../azure/azure-errors';
import { ErrorCodes, RdpFixError } from '../core/errors';
import { readScript } from '../playbook/script-includes';
import { type ParsedOutput, parseScriptOutput } from '../playbook/script-result';
import { findLabVms, type LabResource } from './find-lab';
import { type LabCause, labScriptIdOf } from './lab-causes';
import type { LabClients } from './lab-target';

/** deploy/lab of this checkout, found upwards from here (src/lab under Jest, dist/src/lab when built). */
export function labScriptsDir(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'deploy', 'lab')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'deploy', 'lab');
}

/**
 * The break script of a cause as it is sent: its first line must name it (`# rdp-fix-lab:
 * break-<cause>`), and its `# include: lib/<name>.ps1` lines are replaced by deploy/lab/lib's
 * fragments, shared by the scripts (the playbook's own splicing, script-includes.ts).
 */
export function readBreakScript(dir: string, cause: LabCause): string {
  const text = readScript(dir, `break-${cause}.ps1`);
  if (labScriptIdOf(text) !== `break-${cause}`)
    throw new RdpFixError(
      ErrorCodes.PlaybookInvalid,
      `break-${cause}.ps1 does not start with its marker line`,
    );
  return text;
}

/**
 * The one lab VM a break is aimed at: tagged `rdp-fix-lab`, of the given name and group when
 * given. A VM without the tag is never a target, whatever its name.
 */
export async function findBreakTarget(
  clients: LabClients,
  name: string | undefined,
  rg: string | undefined,
): Promise<LabResource> {
  const vms = (await findLabVms(clients, rg)).filter(
    (vm) => !name || vm.name.toLowerCase() === name.toLowerCase(),
  );
  if (vms.length === 1) return vms[0]!;
  if (vms.length === 0) {
    throw new RdpFixError(
      ErrorCodes.VmNotFound,
      `no lab VM${name ? ` named ${name}` : ''}${rg ? ` in ${rg}` : ''} (a VM tagged rdp-fix-lab): create one with \`rdp-fix lab create --rg <group>\``,
    );
  }
  throw new RdpFixError(
    ErrorCodes.VmAmbiguous,
    `several lab VMs: ${vms.map((v) => `${v.resourceGroup}/${v.name}`).join(', ')}; say which with --name and --rg`,
  );
}

/** Sends a break script through the action Run Command (`RunPowerShellScript`) and reads its result line. */
export async function runBreakScript(
  clients: LabClients,
  vm: LabResource,
  cause: LabCause,
  script: string,
): Promise<ParsedOutput & { stderr: string }> {
  const result = await callAzure('run the break script', () =>
    clients.compute.virtualMachines.runCommand(
      vm.resourceGroup,
      vm.name,
      { commandId: 'RunPowerShellScript', script: script.split(/\r?\n/) },
      { updateIntervalInMs: clients.target.pollIntervalMs },
    ),
  );
  const stream = (name: string) => result.value?.find((s) => s.code?.includes(`/${name}/`))?.message ?? '';
  return { ...parseScriptOutput(stream('StdOut'), `break-${cause}`), stderr: stream('StdErr') };
}

/** Restarts the lab VM: SCHANNEL reads its protocol settings at start-up, and TermService its key. */
export async function restartLabVm(clients: LabClients, vm: LabResource): Promise<void> {
  await callAzure('restart the lab VM', () =>
    clients.compute.virtualMachines.restart(vm.resourceGroup, vm.name, {
      updateIntervalInMs: clients.target.pollIntervalMs,
    }),
  );
}
