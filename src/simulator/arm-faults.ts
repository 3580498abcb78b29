import type { ServerResponse } from 'node:http';
import { armError, type Sent, send } from './arm-wire';
import type { SimulatedWindowsVm } from './windows-vm';

/**
 * Faults the simulator injects on a VM's Run Commands, chosen by its scenario name, so that
 * the agent's handling of ARM's refusals can be walked in local mode and tested.
 */
export interface VmFaults {
  /** 409s still to answer (scenario sim-busy), 429s (sim-throttled), 503s (sim-unavailable). */
  busyLeft: number;
  throttledLeft: number;
  unavailableLeft: number;
  forbidden: boolean;
}

/** The faults a VM starts with, by the name of its scenario. */
export function faultsOfScenario(scenarioName: string): VmFaults {
  return {
    busyLeft: scenarioName.startsWith('sim-busy') ? 2 : 0,
    throttledLeft: scenarioName.startsWith('sim-throttled') ? 1 : 0,
    unavailableLeft: scenarioName.startsWith('sim-unavailable') ? 2 : 0,
    forbidden: scenarioName.startsWith('sim-forbidden'),
  };
}

/** The VM a Run Command is aimed at, as far as its refusals need to know it. */
export interface RunCommandTarget {
  name: string;
  /** Its ARM id, named in a 403 like Azure does. */
  id: string;
  vm: SimulatedWindowsVm;
  faults: VmFaults;
}

/**
 * What stops a Run Command (action or managed) before it starts: a missing right, an ARM
 * burst (503, 429), a VM that is not running, another command in progress (409).
 * `commandRunning` is asked last: asking settles the VM's operations whose time has come.
 */
export function refuseRunCommand(
  res: ServerResponse,
  target: RunCommandTarget,
  action: string,
  commandRunning: () => boolean,
): Sent | undefined {
  const { faults } = target;
  if (faults.forbidden) {
    return send(
      res,
      403,
      armError(
        'AuthorizationFailed',
        `The client 'rdp-fix' with object id '00000000-0000-0000-0000-000000000001' does not have authorization to perform action '${action}' over scope '${target.id}' or the scope is invalid.`,
      ),
    );
  }
  if (faults.unavailableLeft > 0) {
    // ARM having a bad moment: the request was not taken, so the SDK may send it again.
    faults.unavailableLeft -= 1;
    return send(res, 503, armError('ServiceUnavailable', 'The service is temporarily unavailable.'));
  }
  if (faults.throttledLeft > 0) {
    faults.throttledLeft -= 1;
    return send(res, 429, armError('TooManyRequests', 'The request is being throttled.'), {
      'Retry-After': '1',
    });
  }
  const state = target.vm.state;
  if (state.power !== 'running') {
    return send(
      res,
      409,
      armError(
        'OperationNotAllowed',
        `Operation 'RunCommand' is not allowed on VM '${target.name}' since the VM is ${state.power}.`,
      ),
    );
  }
  const running = commandRunning();
  if (running || faults.busyLeft > 0) {
    if (!running) faults.busyLeft -= 1;
    return send(
      res,
      409,
      armError(
        'Conflict',
        'Run command extension execution is in progress. Please wait for completion before invoking a run command.',
      ),
    );
  }
  return undefined;
}
