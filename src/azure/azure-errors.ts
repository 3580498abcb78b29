import { isRestError } from '@azure/core-rest-pipeline';
import { ErrorCodes, messageOf, RdpFixError } from '../core/errors';

/** Runs an SDK call; an error that is not coded yet becomes one that says what was being done. */
export async function callAzure<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw err instanceof RdpFixError ? err : toCoded(err, what);
  }
}

/** Turns an SDK error into a coded error that says what to do. Decides by status and code. */
export function toCoded(err: unknown, what: string): RdpFixError {
  if (isRestError(err)) {
    const code = (err.code ?? '').toString();
    const message = err.message;
    switch (err.statusCode) {
      case 404:
        return new RdpFixError(
          ErrorCodes.VmNotFound,
          `Azure could not find it while trying to ${what}: ${message}`,
          {},
          { cause: err },
        );
      case 403: {
        const action = /perform action '([^']+)'/.exec(message)?.[1];
        return new RdpFixError(
          ErrorCodes.AzureForbidden,
          `rdp-fix's identity may not ${what}: it lacks ${action ?? 'the needed action'}. Assign it the rdp-fix operator role on this resource group.`,
          action ? { action } : {},
          { cause: err },
        );
      }
      case 409:
        // The action Run Command's busy message; a managed run command PUT refused because
        // another operation holds the VM comes back as ARM's generic `Conflict` code.
        if (/run command extension execution is in progress/i.test(message) || code === 'Conflict') {
          return new RdpFixError(
            ErrorCodes.RunCommandConflict,
            'another Run Command is still running on this VM; try again when it ends',
            {},
            { cause: err },
          );
        }
        if (code === 'OperationNotAllowed')
          return new RdpFixError(ErrorCodes.VmNotRunning, message, {}, { cause: err });
        break;
      case 429:
        return new RdpFixError(
          ErrorCodes.AzureThrottled,
          `Azure is throttling requests (tried to ${what}); wait a minute and try again`,
          {},
          { cause: err },
        );
    }
    return new RdpFixError(
      ErrorCodes.AzureOperationFailed,
      `Azure refused to ${what} (${err.statusCode ?? '?'} ${code}): ${message}`,
      {},
      { cause: err },
    );
  }
  const e = err as { code?: string; message?: string; name?: string };
  if (e?.name === 'AbortError')
    return new RdpFixError(
      ErrorCodes.AzureOperationFailed,
      `stopped while trying to ${what}`,
      {},
      { cause: err },
    );
  if (
    e?.code === 'VMAgentStatusCommunicationError' ||
    /VMAgentStatusCommunicationError/.test(e?.message ?? '')
  ) {
    return new RdpFixError(
      ErrorCodes.VmAgentNotReady,
      `the VM agent did not answer (${e.message ?? ''}); use the offline repair`,
      {},
      { cause: err },
    );
  }
  return new RdpFixError(
    ErrorCodes.AzureOperationFailed,
    `could not ${what}: ${messageOf(err)}`,
    {},
    { cause: err },
  );
}
