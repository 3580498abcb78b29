import type { NetworkManagementClient } from '@azure/arm-network';
import { isRestError } from '@azure/core-rest-pipeline';

/** Azure keeps a deleted VM's NIC reserved for it for 180 seconds; a little longer is waited. */
const NicReservationMs = 240_000;

/**
 * Deletes a NIC, waiting out `NicReservedForAnotherVm` (400: "reserved for another Virtual
 * Machine for 180 seconds … retry after 180 seconds"), which a NIC deleted right after its VM
 * meets. `onWait` is told once, when the first wait begins.
 */
export async function deleteNicWaitingOutReservation(
  network: NetworkManagementClient,
  rg: string,
  name: string,
  options: { pollIntervalMs: number; sleep: (ms: number) => Promise<void>; onWait?: () => void },
): Promise<void> {
  const every = options.pollIntervalMs * 3;
  const deadline = Date.now() + NicReservationMs;
  for (let told = false; ; told = true) {
    try {
      await network.networkInterfaces.delete(rg, name, { updateIntervalInMs: options.pollIntervalMs });
      return;
    } catch (err) {
      if (!(isRestError(err) && err.code === 'NicReservedForAnotherVm') || Date.now() > deadline) throw err;
      if (!told) options.onWait?.();
      await options.sleep(every);
    }
  }
}
