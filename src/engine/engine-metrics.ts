/**
 * What the engine reports as it works. Implemented with prom-client in observability/; the
 * no-op twin keeps tests, the CLI and the benchmarks free of it.
 */
export interface EngineMetrics {
  stepRan(kind: string, outcome: string, seconds: number): void;
  approvalWaited(seconds: number): void;
  error(code: string): void;
  outgoing(delta: 1 | -1): void;
  /** Time the store took to save one transition (snapshot + transcript + outbox, one transaction). */
  transitionSaved(seconds: number): void;
}

export const noMetrics: EngineMetrics = {
  stepRan: () => {},
  approvalWaited: () => {},
  error: () => {},
  outgoing: () => {},
  transitionSaved: () => {},
};
