// Runs a real Worker against the stack's dev server for the duration of a test, on a task queue
// of its own so tests never steal each other's tasks.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { getConfig } from '../../config';
import { temporalTarget } from '../../config/temporal-connection';

// Only warnings from the SDK in test output; installed once per test process.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  /* already installed in this process */
}

let bundle: Promise<Awaited<ReturnType<typeof bundleWorkflowCode>>> | undefined;

export function workflowBundle() {
  bundle ??= bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  return bundle;
}

export function uniqueQueue(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function testClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const target = temporalTarget(getConfig());
  const connection = await Connection.connect({ address: target.connection.address });
  return { client: new Client({ connection, namespace: target.namespace }), close: () => connection.close() };
}

/** Starts workers for the given queues, runs `fn`, then shuts the workers down. */
export async function withWorkers<T>(
  specs: Array<Omit<WorkerOptions, 'connection' | 'namespace' | 'workflowBundle' | 'workflowsPath'> & { workflows?: boolean }>,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const target = temporalTarget(getConfig());
  const connection = await NativeConnection.connect({ address: target.connection.address });
  const wb = await workflowBundle();
  const workers = await Promise.all(
    specs.map(({ workflows = true, ...opts }) =>
      Worker.create({ ...opts, connection, namespace: target.namespace, ...(workflows ? { workflowBundle: wb } : {}) }),
    ),
  );
  const { client, close } = await testClient();
  const running = workers.map((w) => w.run());
  try {
    return await fn(client);
  } finally {
    workers.forEach((w) => w.shutdown());
    await Promise.allSettled(running);
    await close();
    await connection.close();
  }
}
