// The Koji consumer on the real broker and the real dev server: a Koji task message wakes the
// running workflow that waits for that task (found through the KojiTaskId search attribute), with
// nothing but the task id and state taken from the message; messages nobody waits for, or that
// are not Koji task messages, are settled and leave the queue.
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConfig } from '../../../config';
import { temporalTarget } from '../../../config/temporal-connection';
import type { ConsumerEvent } from '../../../clients/bus/consumer';
import { createKojiTaskHandler, runningWorkflowsForTask, startKojiConsumer } from '../../../workers/koji-consumer';
import { waitForKojiTask } from '../../fixtures/workflows/koji-wait';
import { uniqueQueue } from '../../helpers/temporal';
import { AMQP_URL, EXCHANGE, uniquePrefix, waitFor, withChannel } from './helpers';

const target = temporalTarget(getConfig());
let nativeConnection: NativeConnection;
let clientConnection: Connection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueQueue('koji-consumer');

beforeAll(async () => {
  nativeConnection = await NativeConnection.connect({ address: target.connection.address });
  worker = await Worker.create({
    connection: nativeConnection,
    namespace: target.namespace,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('../../fixtures/workflows/koji-wait.ts', import.meta.url)),
  });
  running = worker.run();
  clientConnection = await Connection.connect({ address: target.connection.address });
  client = new Client({ connection: clientConnection, namespace: target.namespace });
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await clientConnection?.close();
  await nativeConnection?.close();
});

/** Starts the test workflow for a fresh task id and waits until visibility lists it. */
async function workflowWaitingForTask() {
  const taskId = randomInt(100_000_000, 2_000_000_000);
  const handle = await client.workflow.start(waitForKojiTask, { taskQueue, workflowId: `koji-wait-${taskId}`, args: [taskId] });
  await waitFor('the workflow to be visible by KojiTaskId', async () => (await client.workflow.count(runningWorkflowsForTask(taskId))).count === 1);
  return { taskId, handle };
}

function kojiMessage(taskId: number, state: string, extra: Record<string, unknown> = {}) {
  return {
    id: taskId,
    method: 'kiwiBuild',
    attribute: 'state',
    old: 'OPEN',
    new: state,
    owner: 'fedimg',
    // Locations a message must never be trusted for; the signal carries none of them.
    info: { id: taskId, url: 'https://evil.example.org/koji/taskinfo', result: 'https://evil.example.org/x.qcow2' },
    files_base_url: 'https://evil.example.org/',
    base_url: 'https://evil.example.org/',
    instance: 'primary',
    ...extra,
  };
}

async function publishRaw(routingKey: string, body: unknown): Promise<void> {
  await withChannel(async (_ch, conn) => {
    const confirm = await conn.createConfirmChannel();
    confirm.publish(EXCHANGE, routingKey, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      headers: { fedora_messaging_schema: 'base.message', 'sent-at': '2026-11-22T02:30:01+00:00', fedora_messaging_severity: 20, priority: 0 },
    });
    await confirm.waitForConfirms();
  });
}

describe('Koji consumer', () => {
  it('signals the running workflow for the task, with only the task id and state', async () => {
    const prefix = uniquePrefix('koji');
    const queue = `${prefix}.queue`;
    const events: ConsumerEvent[] = [];
    const consumer = startKojiConsumer({
      connection: { url: AMQP_URL },
      exchange: EXCHANGE,
      queue,
      kojiTopicPrefix: prefix,
      client,
      kojiUser: 'fedimg',
      lookAgainAfterMs: [500],
      requeueDelayMs: 200,
      log: (e) => events.push(e),
    });
    try {
      await consumer.ready;
      const { taskId, handle } = await workflowWaitingForTask();
      const rk = `${prefix}.buildsys.task.state.change`;

      // Not ours, not JSON, not a task message, a task nobody waits for: all settled, none signals.
      await publishRaw(rk, kojiMessage(taskId, 'CLOSED', { owner: 'someone-else' }));
      await publishRaw(rk, '{not json');
      await publishRaw(rk, { id: 'x', new: 'CLOSED' });
      await publishRaw(rk, kojiMessage(taskId + 1, 'CLOSED'));
      // Then the real ones: OPEN, then CLOSED.
      await publishRaw(rk, kojiMessage(taskId, 'OPEN', { old: 'FREE' }));
      await publishRaw(rk, kojiMessage(taskId, 'CLOSED'));

      const received = await handle.result();
      expect(received).toEqual([
        { taskId, state: 'OPEN' },
        { taskId, state: 'CLOSED' },
      ]);
      await withChannel(async (_ch, conn) => {
        await waitFor('the queue to drain', async () => {
          const ch = await conn.createChannel();
          try {
            return (await ch.checkQueue(queue)).messageCount === 0;
          } finally {
            await ch.close();
          }
        });
      });
      await waitFor('the unknown task to be looked up', async () => events.some((e) => e.message.includes(`Koji task ${taskId + 1} is CLOSED: no running workflow`)));
      expect(events.filter((e) => e.message.startsWith('dropping'))).toHaveLength(2);
    } finally {
      await consumer.stop();
      await withChannel((ch) => ch.deleteQueue(queue).then(() => undefined));
    }
  });

  it('keeps its durable queue bound while stopped, so messages sent meanwhile still arrive', async () => {
    const prefix = uniquePrefix('koji-durable');
    const queue = `${prefix}.queue`;
    const opts = { connection: { url: AMQP_URL }, exchange: EXCHANGE, queue, kojiTopicPrefix: prefix, client, lookAgainAfterMs: [500] };
    const first = startKojiConsumer(opts);
    await first.ready;
    await first.stop();
    try {
      const { taskId, handle } = await workflowWaitingForTask();
      await publishRaw(`${prefix}.buildsys.task.state.change`, kojiMessage(taskId, 'FAILED'));
      const second = startKojiConsumer(opts);
      try {
        expect(await handle.result()).toEqual([{ taskId, state: 'FAILED' }]);
      } finally {
        await second.stop();
      }
    } finally {
      await withChannel((ch) => ch.deleteQueue(queue).then(() => undefined));
    }
  });

  it('tolerates a task no workflow waits for, and drops what is not a task message', async () => {
    const handle = createKojiTaskHandler({ client, lookAgainAfterMs: [] });
    const signal = new AbortController().signal;
    const msg = (body: unknown) => ({ routingKey: 'x.buildsys.task.state.change', headers: {}, body: JSON.stringify(body) });
    await expect(handle(msg(kojiMessage(1, 'CLOSED')), signal)).resolves.toEqual({ outcome: 'ack', taskId: 1, signalled: [] });
    await expect(handle(msg({ id: -1, new: 'CLOSED' }), signal)).resolves.toMatchObject({ outcome: 'drop' });
    const other = createKojiTaskHandler({ client, kojiUser: 'fedimg' });
    await expect(other(msg(kojiMessage(1, 'CLOSED', { owner: 'mock' })), signal)).resolves.toEqual({ outcome: 'ack', taskId: 1, signalled: [] });
  });
});
