import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AzureVmOperations } from '../../src/azure/azure-vm-operations';
import { StaticTestCredential } from '../../src/azure/loopback-pipeline';
import { approveStep } from '../../src/azure/vm-operations';
import { bob } from '../helpers/engine-harness';

/**
 * Wire-level checks of the Azure client against a small independent server that answers
 * exactly as ARM documents, scripted per test, and records every request.
 */
const SUB = '99999999-8888-7777-6666-555555555555';
const VM = `/subscriptions/${SUB}/resourceGroups/rg-wire/providers/Microsoft.Compute/virtualMachines/vm-wire`;
type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  auth: string | undefined;
  body: unknown;
  at: number;
}

let server: Server;
let base: string;
let seen: Seen[];
let route: (method: string, path: string, n: number, query: URLSearchParams) => Reply;

beforeEach(async () => {
  seen = [];
  server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const text = Buffer.concat(chunks).toString();
    seen.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      auth: req.headers.authorization,
      body: text ? JSON.parse(text) : null,
      at: Date.now(),
    });
    const n = seen.filter((s) => s.method === req.method && s.path === url.pathname).length;
    const reply = route(req.method ?? '', url.pathname, n, url.searchParams);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const ready = {
  statuses: [{ code: 'ProvisioningState/succeeded' }, { code: 'PowerState/running' }],
  vmAgent: { statuses: [{ displayStatus: 'Ready' }] },
};
const op = `https://management.azure.com/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/operations/op-1`;
const step = approveStep({
  incidentId: 'inc-1',
  stepId: 'change-rdp-port',
  attempt: 1,
  vm: { subscriptionId: SUB, resourceGroup: 'rg-wire', name: 'vm-wire' },
  risk: 'changesConfig',
  params: { Port: 3390 },
  approvedBy: { by: bob, at: '2026-11-25T12:00:00Z' },
});
const client = (runCommand: 'action' | 'managed' = 'action') =>
  new AzureVmOperations({
    subscriptionId: SUB,
    credential: new StaticTestCredential(),
    loopbackEndpoint: base,
    pollIntervalMs: 10,
    conflictBaseDelayMs: 10,
    runCommand,
  });

test('Run Command: preflight, POST with parameters, polls the async operation, final GET on Location', async () => {
  route = (method, path, n): Reply => {
    if (path === `${VM}/instanceView`) return { status: 200, body: ready };
    if (method === 'POST' && path === `${VM}/runCommand`) {
      return {
        status: 202,
        headers: {
          'Azure-AsyncOperation': `${op}?api-version=2024-11-01`,
          Location: `${op}/result?api-version=2024-11-01`,
        },
      };
    }
    if (path.endsWith('/operations/op-1'))
      return { status: 200, body: { status: n < 3 ? 'InProgress' : 'Succeeded' } };
    if (path.endsWith('/operations/op-1/result')) {
      return {
        status: 200,
        body: {
          value: [
            { code: 'ComponentStatus/StdOut/succeeded', message: 'RDPFIX-RESULT: {}' },
            { code: 'ComponentStatus/StdErr/succeeded', message: 'warn' },
          ],
        },
      };
    }
    return { status: 404, body: { error: { code: 'NotFound', message: path } } };
  };
  const states: string[] = [];
  const out = await client().runScript(
    step,
    { name: 'change-rdp-port.ps1', text: '# rdp-fix-step: change-rdp-port\nparam([string]$Port)\n' },
    {
      onPollerState: async (s) => void states.push(s),
    },
  );
  expect(out).toEqual({ stdout: 'RDPFIX-RESULT: {}', stderr: 'warn' });
  expect(seen.map((s) => `${s.method} ${s.path.replace(`/subscriptions/${SUB}`, '')}`)).toEqual([
    'GET /resourceGroups/rg-wire/providers/Microsoft.Compute/virtualMachines/vm-wire/instanceView',
    'POST /resourceGroups/rg-wire/providers/Microsoft.Compute/virtualMachines/vm-wire/runCommand',
    'GET /providers/Microsoft.Compute/locations/westeurope/operations/op-1',
    'GET /providers/Microsoft.Compute/locations/westeurope/operations/op-1',
    'GET /providers/Microsoft.Compute/locations/westeurope/operations/op-1',
    'GET /providers/Microsoft.Compute/locations/westeurope/operations/op-1/result',
  ]);
  expect(seen[1]!.body).toEqual({
    commandId: 'RunPowerShellScript',
    script: ['# rdp-fix-step: change-rdp-port', 'param([string]$Port)', ''],
    parameters: [{ name: 'Port', value: '3390' }],
  });
  expect(seen.every((s) => s.auth === 'Bearer rdp-fix-simulator-token' && s.query.get('api-version'))).toBe(
    true,
  );
  // The poller state was saved before waiting, and names the operation to resume.
  expect(states).toHaveLength(1);
  expect(states[0]).toContain('operations/op-1');
});

test('a poller state restored in a new client polls on, without a second POST', async () => {
  let posts = 0;
  route = (method, path, n): Reply => {
    if (path === `${VM}/instanceView`) return { status: 200, body: ready };
    if (method === 'POST') {
      posts += 1;
      return { status: 202, headers: { 'Azure-AsyncOperation': op, Location: `${op}/result` } };
    }
    if (path.endsWith('/operations/op-1'))
      return { status: 200, body: { status: n < 4 ? 'InProgress' : 'Succeeded' } };
    return { status: 200, body: { value: [{ code: 'ComponentStatus/StdOut/succeeded', message: 'done' }] } };
  };
  let state = '';
  const controller = new AbortController();
  const first = client().runScript(
    step,
    { name: 'x.ps1', text: '# rdp-fix-step: x' },
    {
      onPollerState: async (s) => {
        state = s;
        controller.abort();
      },
    },
    controller.signal,
  );
  await expect(first).rejects.toBeDefined();
  const out = await client().resumeScript(state);
  expect(out.stdout).toBe('done');
  expect(posts).toBe(1);
});

test('429 on the POST: Retry-After is honoured before the retry', async () => {
  route = (method, path, n): Reply => {
    if (path === `${VM}/instanceView`) return { status: 200, body: ready };
    if (method === 'POST' && n === 1)
      return {
        status: 429,
        headers: { 'Retry-After': '1' },
        body: { error: { code: 'TooManyRequests', message: 'throttled' } },
      };
    if (method === 'POST')
      return { status: 202, headers: { 'Azure-AsyncOperation': op, Location: `${op}/result` } };
    if (path.endsWith('/operations/op-1')) return { status: 200, body: { status: 'Succeeded' } };
    return { status: 200, body: { value: [] } };
  };
  await client().runScript(step, { name: 'x.ps1', text: '# rdp-fix-step: x' }, {});
  const posts = seen.filter((s) => s.method === 'POST');
  expect(posts).toHaveLength(2);
  expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(950);
});

test('an agent that is not Ready stops the command before anything is sent', async () => {
  route = () => ({
    status: 200,
    body: { ...ready, vmAgent: { statuses: [{ displayStatus: 'Not Ready' }] } },
  });
  await expect(client().runScript(step, { name: 'x.ps1', text: '' }, {})).rejects.toMatchObject({
    code: 'VM_AGENT_NOT_READY',
  });
  expect(seen.filter((s) => s.method === 'POST')).toHaveLength(0);
});

test('the failed operation of a dead agent becomes VM_AGENT_NOT_READY', async () => {
  route = (method, path): Reply => {
    if (path === `${VM}/instanceView`) return { status: 200, body: ready };
    if (method === 'POST')
      return { status: 202, headers: { 'Azure-AsyncOperation': op, Location: `${op}/result` } };
    return {
      status: 200,
      body: {
        status: 'Failed',
        error: {
          code: 'VMAgentStatusCommunicationError',
          message: 'VM has not reported status for VM agent',
        },
      },
    };
  };
  await expect(client().runScript(step, { name: 'x.ps1', text: '' }, {})).rejects.toMatchObject({
    code: 'VM_AGENT_NOT_READY',
  });
});

test('a VM name outside the resource-group allow-list is not found, and no request is made for it', async () => {
  route = () => ({ status: 200, body: { value: [] } });
  const scoped = new AzureVmOperations({
    subscriptionId: SUB,
    credential: new StaticTestCredential(),
    loopbackEndpoint: base,
    resourceGroups: ['rg-allowed'],
  });
  expect(await scoped.resolveVm('vm-wire', 'rg-wire')).toEqual([]);
  expect(seen).toHaveLength(0);
});

test('lookups by name alone at the same time share one listing of the subscription; a later one lists again', async () => {
  const vm = (rg: string, name: string) => ({
    id: `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`,
    name,
    location: 'westeurope',
  });
  route = () => ({
    status: 200,
    body: { value: [vm('rg-a', 'vm-one'), vm('rg-b', 'VM-TWO'), vm('rg-c', 'vm-two')] },
  });
  const ops = client();
  const [one, two] = await Promise.all([ops.resolveVm('vm-one'), ops.resolveVm('vm-two')]);
  expect(one).toEqual([{ subscriptionId: SUB, resourceGroup: 'rg-a', name: 'vm-one' }]);
  expect(two.map((r) => r.resourceGroup)).toEqual(['rg-b', 'rg-c']);
  const listings = () =>
    seen.filter((s) => s.path === `/subscriptions/${SUB}/providers/Microsoft.Compute/virtualMachines`);
  expect(listings()).toHaveLength(1);
  // Never a finished listing: a lookup after it asks Azure again.
  expect(await ops.resolveVm('vm-one')).toHaveLength(1);
  expect(listings()).toHaveLength(2);
});

test('the redirect refuses a non-loopback target', () => {
  expect(
    () =>
      new AzureVmOperations({
        subscriptionId: SUB,
        credential: new StaticTestCredential(),
        loopbackEndpoint: 'http://10.0.0.5:8080',
      }),
  ).toThrow(/non-loopback/);
});

/**
 * The managed Run Command, answered as Microsoft's REST reference shows it ("Virtual Machine
 * Run Commands - Create Or Update / Get By Virtual Machine / Delete"; azure-rest-api-specs
 * ComputeRP 2024-11-01 examples VirtualMachineRunCommand_CreateOrUpdate.json, _Get.json,
 * _Delete.json): 201 with the resource, an Azure-AsyncOperation to poll, the instance view
 * behind `$expand=instanceView`, and a DELETE answered 202 with a Location.
 */
describe('managed Run Command', () => {
  const RUN = `${VM}/runCommands/rdpfix-change-rdp-port-1-inc-1`;
  const runOp = `https://management.azure.com/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/operations/run-1`;
  const resource = (provisioningState: string, instanceView?: Record<string, unknown>) => ({
    id: RUN,
    name: 'rdpfix-change-rdp-port-1-inc-1',
    type: 'Microsoft.Compute/virtualMachines/runCommands',
    location: 'westeurope',
    properties: {
      source: { script: 'x' },
      asyncExecution: false,
      timeoutInSeconds: 420,
      provisioningState,
      ...(instanceView ? { instanceView } : {}),
    },
  });
  const view = (executionState: string, output = '', error = '') => ({
    executionState,
    output,
    error,
    startTime: '2026-11-25T12:00:00Z',
    ...(executionState === 'Running' ? {} : { endTime: '2026-11-25T12:00:30Z', exitCode: 0 }),
  });
  /** A VM, a run command resource whose script ends with `finalView`, its operations. */
  function managedRoute(
    finalView: Record<string, unknown>,
    opts: { runningPolls?: number; conflicts?: number } = {},
  ) {
    return (method: string, path: string, n: number, query: URLSearchParams): Reply => {
      if (path === `${VM}/instanceView`) return { status: 200, body: ready };
      if (path === VM && method === 'GET')
        return { status: 200, body: { id: VM, name: 'vm-wire', location: 'westeurope' } };
      if (path === RUN && method === 'PUT') {
        if (n <= (opts.conflicts ?? 0))
          return {
            status: 409,
            body: { error: { code: 'Conflict', message: 'Another operation is in progress.' } },
          };
        return {
          status: 201,
          body: resource('Creating'),
          headers: { 'Azure-AsyncOperation': `${runOp}?api-version=2026-04-01` },
        };
      }
      if (path.endsWith('/operations/run-1'))
        return {
          status: 200,
          body: { name: 'run-1', status: n <= (opts.runningPolls ?? 2) ? 'InProgress' : 'Succeeded' },
        };
      if (path === RUN && method === 'GET')
        return query.get('$expand') === 'instanceView'
          ? { status: 200, body: resource('Succeeded', finalView) }
          : { status: 200, body: resource('Succeeded') };
      if (path === RUN && method === 'DELETE')
        return { status: 202, headers: { Location: `${runOp}-delete?api-version=2026-04-01` } };
      if (path.endsWith('/operations/run-1-delete')) return { status: 200 };
      return { status: 404, body: { error: { code: 'NotFound', message: path } } };
    };
  }
  const script = {
    name: 'change-rdp-port.ps1',
    text: '# rdp-fix-step: change-rdp-port\nparam([string]$Port)\n',
    timeoutSeconds: 420,
  };
  const rel = (s: Seen) =>
    `${s.method} ${s.path.replace(`/subscriptions/${SUB}`, '')}${s.query.get('$expand') ? `?$expand=${s.query.get('$expand')}` : ''}`;

  test('preflight, PUT with the time limit, polls the async operation, reads the instance view; DELETE once released', async () => {
    route = managedRoute(view('Succeeded', 'RDPFIX-RESULT: {}', 'warn'));
    const states: string[] = [];
    const azure = client('managed');
    const out = await azure.runScript(step, script, { onPollerState: async (s) => void states.push(s) });
    expect(out).toEqual({ stdout: 'RDPFIX-RESULT: {}', stderr: 'warn' });
    const rg = '/resourceGroups/rg-wire/providers/Microsoft.Compute/virtualMachines/vm-wire';
    const op = '/providers/Microsoft.Compute/locations/westeurope/operations/run-1';
    expect(seen.map(rel)).toEqual([
      `GET ${rg}/instanceView`,
      `GET ${rg}`,
      `PUT ${rg}/runCommands/rdpfix-change-rdp-port-1-inc-1`,
      `GET ${op}`,
      `GET ${op}`,
      `GET ${op}`,
      `GET ${rg}/runCommands/rdpfix-change-rdp-port-1-inc-1`,
      `GET ${rg}/runCommands/rdpfix-change-rdp-port-1-inc-1?$expand=instanceView`,
    ]);
    expect(seen[2]!.body).toEqual({
      location: 'westeurope',
      properties: {
        source: { script: '# rdp-fix-step: change-rdp-port\nparam([string]$Port)\n' },
        parameters: [{ name: 'Port', value: '3390' }],
        protectedParameters: [],
        asyncExecution: false,
        timeoutInSeconds: 420,
        treatFailureAsDeploymentFailure: false,
      },
    });
    expect(seen.every((s) => s.auth === 'Bearer rdp-fix-simulator-token' && s.query.get('api-version'))).toBe(
      true,
    );
    // Saved before waiting: what a restarted process needs to find the run again.
    expect(states).toHaveLength(1);
    expect(JSON.parse(states[0]!)).toEqual({
      kind: 'managed',
      resourceGroup: 'rg-wire',
      vmName: 'vm-wire',
      runCommandName: 'rdpfix-change-rdp-port-1-inc-1',
      timeoutSeconds: 420,
    });
    seen.length = 0;
    await azure.releaseScript(states[0]!);
    expect(seen.map(rel)).toEqual([
      `DELETE ${rg}/runCommands/rdpfix-change-rdp-port-1-inc-1`,
      `GET ${op}-delete`,
    ]);
  });

  test('TimedOut in the instance view: a coded error that carries the partial output', async () => {
    route = managedRoute(view('TimedOut', 'probing 127.0.0.1:3389…', ''));
    const run = client('managed').runScript(step, script, {});
    await expect(run).rejects.toMatchObject({
      code: 'RUN_COMMAND_TIMED_OUT',
      details: { timeoutSeconds: 420, output: { stdout: 'probing 127.0.0.1:3389…', stderr: '' } },
    });
  });

  test('a saved state resumed in a new client polls the instance view, without a second PUT', async () => {
    let polls = 0;
    const finished = managedRoute(view('Succeeded', 'done'), { runningPolls: 1_000 });
    route = (method, path, n, query) => {
      if (path === RUN && method === 'GET' && query.get('$expand') === 'instanceView') {
        polls += 1;
        return {
          status: 200,
          body: resource('Creating', polls < 3 ? view('Running', 'half') : view('Succeeded', 'done')),
        };
      }
      return finished(method, path, n, query);
    };
    let state = '';
    const controller = new AbortController();
    const first = client('managed').runScript(
      step,
      script,
      {
        onPollerState: async (s) => {
          state = s;
          controller.abort();
        },
      },
      controller.signal,
    );
    await expect(first).rejects.toBeDefined();
    const out = await client('managed').resumeScript(state);
    expect(out.stdout).toBe('done');
    expect(polls).toBe(3);
    expect(seen.filter((s) => s.method === 'PUT')).toHaveLength(1);
  });

  test('409 on the PUT: waits and sends it again, to the same run command', async () => {
    route = managedRoute(view('Succeeded', 'ok'), { conflicts: 1 });
    const retries: string[] = [];
    const out = await client('managed').runScript(step, script, {
      onRetry: (reason) => void retries.push(reason),
    });
    expect(out.stdout).toBe('ok');
    const puts = seen.filter((s) => s.method === 'PUT');
    expect(puts.map((p) => p.path)).toEqual([RUN, RUN]);
    expect(retries).toEqual(['another Run Command is in progress on this VM']);
  });
});
