import { openEngines } from './engine-harness';

// An engine that recovered runs background timers (heartbeat, outbox): stop them with the
// test that made it, before its store is closed under them by the next test's set-up.
afterEach(() => {
  for (const engine of openEngines) engine.close();
  openEngines.clear();
});
