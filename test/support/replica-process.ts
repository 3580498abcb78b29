import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, sep } from 'node:path';

// From test/support (tests, through ts-jest) or dist-test/test/support (benchmarks, built by
// tsconfig.support.json): the project root.
const root = __dirname.includes(`${sep}dist-test${sep}`)
  ? join(__dirname, '..', '..', '..')
  : join(__dirname, '..', '..');
/** The built server, as `npm start` runs it (the product build in dist/, not a copy in dist-test/). */
export const MainScript = join(root, 'dist', 'src', 'main.js');

/**
 * One rdp-fix server as an operating-system process (tests and benchmarks of several
 * replicas): started with `node dist/src/main.js` and its environment, killed with a real
 * signal. Its JSON log lines are kept for the test to read.
 */
export class ReplicaProcess {
  private readonly output: string[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly child: ChildProcess,
  ) {
    for (const stream of [child.stdout, child.stderr])
      stream?.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts a replica on a free loopback port and waits (bounded) until it answers /healthz. */
  static async start(name: string, env: Record<string, string>, timeoutMs = 30_000): Promise<ReplicaProcess> {
    if (!existsSync(MainScript)) throw new Error(`${MainScript} is missing: run npm run build first`);
    const port = await freePort();
    const child = spawn(process.execPath, [MainScript], {
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: String(port),
        RDPFIX_REPLICA_ID: name,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const replica = new ReplicaProcess(name, `http://127.0.0.1:${port}`, child);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`replica ${name} exited at start:\n${replica.logs()}`);
      const ok = await fetch(`${replica.url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return replica;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`replica ${name} did not answer /healthz in ${timeoutMs} ms:\n${replica.logs()}`);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  logs(): string {
    return this.output.join('');
  }

  /** `kill -9`: the process ends at once, in the middle of whatever it was doing. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then waits (bounded) for it to exit; its exit code. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), timeoutMs).unref(),
    );
    const code = await Promise.race([this.exited, timer]);
    if (code === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
      throw new Error(`replica ${this.name} did not stop within ${timeoutMs} ms after SIGTERM`);
    }
    return code;
  }
}

/** A port nothing listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
