/**
 * The server in local mode as the tests start it: any free port, an in-memory store, the
 * in-process ARM simulator without latency, and fast polls.
 */
export const LocalTestEnv = {
  PORT: '0',
  DATABASE_URL: 'memory:',
  RDPFIX_SIM_LATENCY_SCALE: '0',
  RDPFIX_POLL_INTERVAL_MS: '5',
} as const;
