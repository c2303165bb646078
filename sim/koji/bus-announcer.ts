// What Fedora's hub plugin koji-fedoramessaging does on postTaskStateChange: a scratch build's
// parent task that changes state (FREE -> OPEN, OPEN -> CLOSED / FAILED / CANCELED) is announced
// on the bus as `<prefix>.buildsys.task.state.change`, in Fedora Messaging's wire format (schema
// koji_fedoramessaging.task.TaskStateChangeV1, a user marker for the owner, unsigned: Koji signs
// nothing). Subtasks, non-scratch builds and other task changes are not announced, as there.
//
// Body as the plugin builds it: base_url, files_base_url (<topurl>/work), info (getTaskInfo with
// request, host_name, url, result, owner NAME and children, without weight and *_ts), method,
// attribute 'state', old / new state NAMES, id, owner (name), srpm (last path part of request[0]),
// instance 'primary'. Times in info are whole seconds (the plugin's datetime.timestamp()).
//
// The plugin queues messages and publishing trouble never fails the hub call; here a bounded
// in-memory queue is published in order, each message retried with back-off a bounded number of
// times, and every failure is one log line.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isStruct, type XmlRpcValue } from '../../clients/koji/xmlrpc';
import type { BusConnectionOptions } from '../../clients/bus/connection';
import { createBusPublisher, type BusPublisher } from '../../clients/bus/publisher';
import { MessageFormatError, type OutgoingMessage } from '../../clients/bus/wire';
import { jsonSafe } from './control-http';
import { STATE_NAMES, TASK_STATES, type TaskRecord, type TaskState, type TaskStore } from './task-store';
import type { Users } from './users';

export const TASK_STATE_CHANGE_TOPIC = 'buildsys.task.state.change';
/** The entry point name fedora-messaging puts in fedora_messaging_schema. */
export const TASK_STATE_CHANGE_SCHEMA = 'koji_fedoramessaging.task.TaskStateChangeV1';
export const TASK_STATE_CHANGE_PACKAGE = 'koji_fedoramessaging_messages';

export interface KojiBusOptions extends BusConnectionOptions {
  /** Koji's broker topic prefix, e.g. org.fedoraproject.prod (no trailing dot needed). */
  topicPrefix: string;
  /** Default amq.topic. */
  exchange?: string;
  /** The body's `instance`. Default "primary". */
  instance?: string;
  /** Tries per message before it is dropped (logged). Default 8. */
  attempts?: number;
  /** First retry delay, doubled per try up to maxDelayMs. Defaults 500 and 10 000. */
  retryDelayMs?: number;
  maxDelayMs?: number;
  /** Messages kept while the broker is away; the oldest is dropped beyond. Default 1000. */
  maxQueued?: number;
  /** Wait for the broker's confirm this long. Default 10 000. */
  confirmTimeoutMs?: number;
}

export interface AnnouncerDeps {
  store: TaskStore;
  users: Users;
  hostName: string;
  /** The hub's scheme://host[:port] (the plugin's base_url). */
  baseUrl: () => string;
  /** KojiFilesURL (the sim's topurl). */
  topUrl: () => string;
  log: (line: string) => void;
}

interface Pending {
  msg: OutgoingMessage;
  what: string;
  tries: number;
}

/** A scratch build's parent: no parent, and the request's last parameter is opts with scratch set. */
export function isScratchParent(store: TaskStore, t: TaskRecord): boolean {
  if (t.parent !== null) return false;
  const last = store.request(t).at(-1);
  return last !== undefined && isStruct(last) && Boolean(jsonSafe(last.scratch ?? null));
}

const SCRUBBED = new Set(['weight', 'start_ts', 'create_ts', 'completion_ts']);
const secs = (us: number | null) => (us === null ? null : Math.floor(us / 1e6));

export class BusAnnouncer {
  private readonly publisher: BusPublisher;
  private readonly queue: Pending[] = [];
  private pumping: Promise<void> | undefined;
  private readonly stop = new AbortController();
  private readonly listener = (t: TaskRecord, old: TaskState) => this.onState(t, old);
  /** Messages the broker confirmed (for tests and the log). */
  published = 0;
  dropped = 0;

  constructor(
    private readonly d: AnnouncerDeps,
    private readonly o: KojiBusOptions,
  ) {
    this.publisher = createBusPublisher({
      ...o,
      connectionName: 'koji-sim announcer',
      exchange: o.exchange ?? 'amq.topic',
      topicPrefix: o.topicPrefix,
      confirmTimeoutMs: o.confirmTimeoutMs ?? 10_000,
    });
    d.store.on('state', this.listener);
  }

  /** The message body for a state change, as koji-fedoramessaging builds it. */
  body(t: TaskRecord, old: TaskState): Record<string, unknown> {
    const info = this.fullInfo(t);
    const request = this.d.store.request(t);
    const first = request[0];
    return {
      base_url: this.d.baseUrl(),
      files_base_url: `${this.d.topUrl().replace(/\/+$/, '')}/work`,
      info,
      method: t.method,
      attribute: 'state',
      old: STATE_NAMES[old],
      new: STATE_NAMES[t.state],
      id: t.id,
      owner: info.owner,
      srpm: typeof first === 'string' ? (first.split('/').at(-1) ?? '') : '',
      instance: this.o.instance ?? 'primary',
    };
  }

  /** Resolves once every queued message was published or dropped, or after timeoutMs. */
  async flush(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 || this.pumping) {
      if (Date.now() >= deadline) return false;
      await sleep(20);
    }
    return true;
  }

  async close(timeoutMs = 3000): Promise<void> {
    this.d.store.off('state', this.listener);
    const drained = await this.flush(timeoutMs);
    if (!drained) this.d.log(`koji-sim bus: closing with ${this.queue.length} unpublished message(s)`);
    this.stop.abort();
    await this.pumping?.catch(() => undefined);
    await this.publisher.close();
  }

  private onState(t: TaskRecord, old: TaskState): void {
    try {
      if (!isScratchParent(this.d.store, t)) return;
      const body = this.body(t, old);
      const owner = typeof body.owner === 'string' ? body.owner : undefined;
      this.enqueue({
        what: `task ${t.id} ${String(body.old)} -> ${String(body.new)}`,
        tries: 0,
        msg: {
          topic: TASK_STATE_CHANGE_TOPIC,
          body,
          schema: TASK_STATE_CHANGE_SCHEMA,
          schemaPackage: TASK_STATE_CHANGE_PACKAGE,
          // fedora-messaging gives every message a fresh uuid4; a retry keeps its id.
          eventKey: randomUUID(),
          ...(owner ? { markers: { user: [owner] } } : {}),
        },
      });
    } catch (err) {
      // Like the plugin's @ignore_error: the hub carries on whatever the announcement does.
      this.d.log(`koji-sim bus: cannot announce task ${t.id}: ${(err as Error).message}`);
    }
  }

  private enqueue(p: Pending): void {
    if (this.stop.signal.aborted) return;
    const max = this.o.maxQueued ?? 1000;
    while (this.queue.length >= max) {
      const lost = this.queue.shift();
      this.dropped++;
      this.d.log(`koji-sim bus: queue full (${max}), dropping ${lost?.what ?? 'a message'}`);
    }
    this.queue.push(p);
    this.kick();
  }

  /** One pump at a time; a message queued while the last one was finishing starts another. */
  private kick(): void {
    if (this.pumping || this.queue.length === 0 || this.stop.signal.aborted) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      this.kick();
    });
  }

  private async pump(): Promise<void> {
    const attempts = this.o.attempts ?? 8;
    const first = this.o.retryDelayMs ?? 500;
    const max = this.o.maxDelayMs ?? 10_000;
    const signal = this.stop.signal;
    while (this.queue.length > 0 && !signal.aborted) {
      const p = this.queue[0]!;
      try {
        const r = await this.publisher.publish(p.msg, { signal });
        this.queue.shift();
        this.published++;
        this.d.log(`koji-sim bus: announced ${p.what} on ${r.routingKey}`);
      } catch (err) {
        if (signal.aborted) return;
        p.tries++;
        const permanent = err instanceof MessageFormatError;
        if (permanent || p.tries >= attempts) {
          this.queue.shift();
          this.dropped++;
          this.d.log(`koji-sim bus: dropping ${p.what} after ${p.tries} attempt(s): ${(err as Error).message}`);
          continue;
        }
        const delay = Math.min(max, first * 2 ** (p.tries - 1));
        this.d.log(`koji-sim bus: ${p.what} not published (attempt ${p.tries}/${attempts}), again in ${delay} ms: ${(err as Error).message}`);
        try {
          await sleep(delay, undefined, { signal });
        } catch {
          return;
        }
      }
    }
  }

  /** get_full_task_info: the task info with host_name, url, result, owner name and children. */
  private fullInfo(t: TaskRecord): Record<string, unknown> {
    const raw = jsonSafe(this.d.store.info(t, true) as XmlRpcValue) as Record<string, unknown>;
    const info: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) if (!SCRUBBED.has(k)) info[k] = v;
    info.completion_time = secs(t.completionUs);
    info.create_time = secs(t.createUs);
    info.start_time = secs(t.startUs);
    info.host_name = t.hostId !== null ? this.d.hostName : null;
    info.url = `${this.d.baseUrl()}/koji/taskinfo?taskID=${t.id}`;
    info.result = t.state === TASK_STATES.CLOSED ? this.result(t) : null;
    info.owner = this.d.users.byId(t.owner)?.name ?? null;
    info.children = this.d.store.children(t.id).map((c) => this.fullInfo(c));
    return info;
  }

  private result(t: TaskRecord): unknown {
    try {
      return jsonSafe(this.d.store.result(t.id));
    } catch {
      return null; // the plugin logs a warning and sends None
    }
  }
}
