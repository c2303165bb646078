// The CLI against the stack's real Temporal dev server: a config whose families, schedule ids,
// owner and task queue are unique to the test run (so nothing collides with the stack's own
// schedules or worker), a worker running test/fixtures/workflows/cli.ts on that queue, and a
// runner that calls the CLI in-process and captures its output.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import base from '../../../temporal.config';
import { loadConfig } from '../../../config/load';
import type { Config } from '../../../config';
import { temporalTarget } from '../../../config/temporal-connection';
import { run } from '../../../scripts/cli/program';
import { connectTemporal } from '../../../scripts/cli/temporal';
import type { CliDeps } from '../../../scripts/cli/context';

// Errors only: the stand-ins fail on purpose and have no activities, which the SDK warns about.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  /* already installed in this process */
}

export async function testClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const target = temporalTarget(cliConfig('client', (c) => c.families));
  const connection = await Connection.connect({ address: target.connection.address });
  return { client: new Client({ connection, namespace: target.namespace }), close: () => connection.close() };
}

export function runTag(): string {
  return randomUUID().slice(0, 8);
}

/** The shipped config with the given families, on a task queue of this test run. */
export function cliConfig(tag: string, families: (c: Config) => Config['families']): Config {
  const r = loadConfig({ base, env: {} });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const c = structuredClone(r.config);
  c.temporal.taskQueues = { orchestration: `cli-${tag}`, files: `cli-files-${tag}` };
  c.families = families(c);
  return c;
}

/** A family copied from the shipped one at `index`, renamed for this run, with these schedules. */
export function family(c: Config, index: number, name: string, schedules: Config['families'][number]['schedules'] = []): Config['families'][number] {
  const f = structuredClone(c.families[index]);
  if (!f) throw new Error(`no family ${index} in the shipped config`);
  return { ...f, name, schedules };
}

export interface CliResult {
  code: number;
  out: string;
  err: string;
  /** stdout parsed as JSON (commands run with --json). */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function cli(config: Config, args: string[], overrides: Partial<CliDeps> = {}): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, {
    config: () => config,
    connect: connectTemporal,
    io: { out: (s) => void out.push(s), err: (s) => void err.push(s), isTTY: false },
    now: () => new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    watchIntervalMs: 200,
    user: 'cli-test',
    ...overrides,
  });
  const text = out.join('');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { code, out: text, err: err.join(''), json };
}

let bundle: ReturnType<typeof bundleWorkflowCode> | undefined;

/** Runs a worker for the fixture workflows on the config's orchestration queue around `fn`. */
export async function withFixtureWorker<T>(config: Config, fn: (client: Client) => Promise<T>): Promise<T> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../fixtures/workflows/cli.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  const target = temporalTarget(config);
  const connection = await NativeConnection.connect({ address: target.connection.address });
  const worker = await Worker.create({ connection, namespace: target.namespace, taskQueue: config.temporal.taskQueues.orchestration, workflowBundle: await bundle });
  const running = worker.run();
  const { client, close } = await testClient();
  try {
    return await fn(client);
  } finally {
    worker.shutdown();
    await running.catch(() => undefined);
    await close();
    await connection.close();
  }
}

/** Polls `probe` until it returns true (visibility is eventually consistent). */
export async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function count(client: Client, query: string): Promise<number> {
  let n = 0;
  for await (const _ of client.workflow.list({ query })) n += 1;
  return n;
}

/** Terminates every running workflow matching `query` (test cleanup). */
export async function terminateAll(client: Client, query: string): Promise<void> {
  for await (const wf of client.workflow.list({ query: `${query} AND ExecutionStatus = 'Running'` })) {
    await client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .terminate('test cleanup')
      .catch(() => undefined);
  }
}
