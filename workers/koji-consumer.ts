// Koji's task messages as wake-up calls. Koji announces every state change of a scratch build's
// parent task on buildsys.task.state.change; this consumer finds the running image workflow that
// waits for that task (search attribute KojiTaskId, upserted by the workflow when it submits) and
// signals it `kojiTaskStateChanged`. The workflow then asks Koji itself: the message is only a
// hint, so nothing but the task id and the state name is taken from it (never a file location).
// A message for a task no workflow waits for is acked and forgotten; the workflows' own polling
// timers cover any message that is lost.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { sleep, startQueueConsumer, type ConsumerEvent, type HandlerOutcome, type QueueConsumer } from '../clients/bus/consumer';
import type { BusConnectionOptions } from '../clients/bus/connection';
import type { ReceivedMessage } from '../clients/bus/signing';
import { KOJI_TASK_STATE_CHANGE_TOPIC, parseKojiTaskStateChange } from '../domain/messages/koji';
import { kojiTaskStateChanged } from '../workflows/signals';

export interface KojiTaskHandlerDeps {
  client: Client;
  /** Only messages whose `owner` is this Koji user are looked up (others cannot be ours). */
  kojiUser?: string;
  /**
   * Visibility is eventually consistent: a workflow that has just upserted KojiTaskId may not be
   * listed yet. Look again after these delays before concluding no workflow waits. Default [1000, 3000].
   */
  lookAgainAfterMs?: number[];
  log?: (e: ConsumerEvent) => void;
}

export interface KojiHandlingResult {
  outcome: HandlerOutcome;
  taskId?: number;
  signalled: string[];
}

/** The visibility query that finds the workflows waiting for a task. */
export function runningWorkflowsForTask(taskId: number): string {
  if (!Number.isSafeInteger(taskId) || taskId <= 0) throw new Error(`bad task id ${taskId}`);
  return `KojiTaskId = ${taskId} AND ExecutionStatus = 'Running'`;
}

export function createKojiTaskHandler(deps: KojiTaskHandlerDeps) {
  const log = deps.log ?? (() => undefined);
  const delays = deps.lookAgainAfterMs ?? [1000, 3000];

  async function findWorkflows(taskId: number, signal: AbortSignal): Promise<string[]> {
    for (let attempt = 0; ; attempt++) {
      const ids: string[] = [];
      for await (const wf of deps.client.workflow.list({ query: runningWorkflowsForTask(taskId) })) ids.push(wf.workflowId);
      const delay = delays[attempt];
      if (ids.length > 0 || delay === undefined || signal.aborted) return [...new Set(ids)];
      await sleep(delay, signal);
    }
  }

  return async function handle(msg: ReceivedMessage, signal: AbortSignal): Promise<KojiHandlingResult> {
    let body: unknown;
    try {
      body = JSON.parse(typeof msg.body === 'string' ? msg.body : Buffer.from(msg.body).toString('utf8'));
    } catch {
      log({ level: 'warn', message: `dropping a message on ${msg.routingKey} whose body is not JSON` });
      return { outcome: 'drop', signalled: [] };
    }
    const parsed = parseKojiTaskStateChange(body);
    if (!parsed.ok) {
      log({ level: 'warn', message: `dropping a message on ${msg.routingKey}: ${parsed.problem}` });
      return { outcome: 'drop', signalled: [] };
    }
    const { taskId, state, owner } = parsed.value;
    if (deps.kojiUser !== undefined && owner !== undefined && owner !== deps.kojiUser) {
      return { outcome: 'ack', taskId, signalled: [] };
    }
    // Temporal errors propagate: the consumer requeues the message after a delay.
    const ids = await findWorkflows(taskId, signal);
    if (ids.length === 0) {
      log({ level: 'info', message: `Koji task ${taskId} is ${state}: no running workflow waits for it` });
      return { outcome: 'ack', taskId, signalled: [] };
    }
    const signalled: string[] = [];
    for (const workflowId of ids) {
      try {
        await deps.client.workflow.getHandle(workflowId).signal(kojiTaskStateChanged, { taskId, state });
        signalled.push(workflowId);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        // It finished between the list and the signal: nothing left to wake.
      }
    }
    log({ level: 'info', message: `Koji task ${taskId} is ${state}: signalled ${signalled.join(', ') || 'nobody (finished meanwhile)'}` });
    return { outcome: 'ack', taskId, signalled };
  };
}

export interface KojiConsumerOptions extends KojiTaskHandlerDeps {
  connection: BusConnectionOptions;
  exchange: string;
  /** Durable queue name (bus.kojiQueue). */
  queue: string;
  /** Koji's topic prefix (bus.kojiTopicPrefix): binds "<prefix>.buildsys.task.state.change". */
  kojiTopicPrefix: string;
  prefetch?: number;
  requeueDelayMs?: number;
}

/** Starts consuming; await `ready` to know the queue is bound, `stop()` on shutdown. */
export function startKojiConsumer(opts: KojiConsumerOptions): QueueConsumer {
  const handle = createKojiTaskHandler(opts);
  return startQueueConsumer({
    ...opts.connection,
    queue: opts.queue,
    exchange: opts.exchange,
    bindings: [`${opts.kojiTopicPrefix}.${KOJI_TASK_STATE_CHANGE_TOPIC}`],
    ...(opts.prefetch !== undefined ? { prefetch: opts.prefetch } : {}),
    ...(opts.requeueDelayMs !== undefined ? { requeueDelayMs: opts.requeueDelayMs } : {}),
    handle: async (msg, signal) => (await handle(msg, signal)).outcome,
    ...(opts.log ? { onEvent: opts.log } : {}),
  });
}
