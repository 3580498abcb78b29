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
let route: (method: string, path: string, n: number) => Reply;

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
    const reply = route(req.method ?? '', url.pathname, n);
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
const client = () =>
  new AzureVmOperations({
    subscriptionId: SUB,
    credential: new StaticTestCredential(),
    loopbackEndpoint: base,
    pollIntervalMs: 10,
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
