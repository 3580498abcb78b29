import { ErrorCodes, RdpFixError } from '../../core/errors';

/** One store method call sent to the SQLite thread. */
export interface StoreCall {
  id: number;
  method: string;
  args: unknown[];
}

/** An error as it crosses threads: what callers decide by (the code, its details), kept. */
export interface WireError {
  message: string;
  name: string;
  code?: string;
  details?: Record<string, unknown>;
  stack?: string;
}

export type StoreReply =
  | { id: number; value: unknown }
  | { id: number; error: WireError }
  | { ready: true }
  | { ready: false; error: WireError };

export function toWireError(err: unknown): WireError {
  const e = err as Partial<WireError> & { details?: unknown };
  return {
    message: typeof e?.message === 'string' ? e.message : String(err),
    name: typeof e?.name === 'string' ? e.name : 'Error',
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(err instanceof RdpFixError ? { details: err.details } : {}),
    ...(typeof e?.stack === 'string' ? { stack: e.stack } : {}),
  };
}

const Codes = new Set<string>(Object.values(ErrorCodes));

/** The error again on this side: an RdpFixError with its code and details, else an Error with SQLite's `code`. */
export function fromWireError(wire: WireError): Error {
  const err =
    wire.name === 'RdpFixError' && wire.code && Codes.has(wire.code)
      ? new RdpFixError(wire.code as RdpFixError['code'], wire.message, wire.details ?? {})
      : Object.assign(new Error(wire.message), wire.code ? { code: wire.code } : {});
  if (wire.stack) err.stack = wire.stack;
  return err;
}
