// The task table. Requests and results are stored the way the hub stores them, as XML-RPC
// documents (a <methodCall> of the params, a <methodResponse> or <fault> for the result), so
// getTaskInfo(request=True), getTaskResult and listTasks(decode=…) all read the same data.
import { EventEmitter } from 'node:events';
import { asDouble, decodeCall, decodeResponse, encodeCall, encodeFault, encodeResponse } from '../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import { nowUs, timePair } from './clock';
import { genericError, storedFault } from './koji-errors';

export const TASK_STATES = { FREE: 0, OPEN: 1, CLOSED: 2, CANCELED: 3, ASSIGNED: 4, FAILED: 5 } as const;
export type TaskState = (typeof TASK_STATES)[keyof typeof TASK_STATES];
export const STATE_NAMES = ['FREE', 'OPEN', 'CLOSED', 'CANCELED', 'ASSIGNED', 'FAILED'] as const;

/** The stock schema's channels, with its ids. */
export const CHANNELS: Record<string, number> = {
  default: 1,
  createrepo: 2,
  maven: 3,
  livecd: 4,
  appliance: 5,
  vm: 6,
  image: 7,
  livemedia: 8,
};

/** koji.PRIO_DEFAULT */
export const PRIO_DEFAULT = 20;

export interface TaskRecord {
  id: number;
  method: string;
  arch: string;
  label: string | null;
  owner: number;
  parent: number | null;
  channelId: number;
  priority: number;
  weight: number;
  hostId: number | null;
  state: TaskState;
  createUs: number;
  startUs: number | null;
  completionUs: number | null;
  waiting: boolean | null;
  awaited: boolean | null;
  requestXml: string;
  resultXml: string | null;
}

export interface NewTask {
  method: string;
  arch: string;
  label?: string | null;
  owner: number;
  parent?: number | null;
  channel: string;
  /** Overrides `channel` (subtasks inherit their parent's channel). */
  channelId?: number;
  priority?: number;
  request: XmlRpcValue[];
}

export function isFinished(state: TaskState): boolean {
  return state === TASK_STATES.CLOSED || state === TASK_STATES.CANCELED || state === TASK_STATES.FAILED;
}

export class TaskStore extends EventEmitter {
  private readonly tasks = new Map<number, TaskRecord>();
  private nextId = 1;

  create(t: NewTask): TaskRecord {
    const rec: TaskRecord = {
      id: this.nextId++,
      method: t.method,
      arch: t.arch,
      label: t.label ?? null,
      owner: t.owner,
      parent: t.parent ?? null,
      channelId: t.channelId ?? CHANNELS[t.channel] ?? CHANNELS.default!,
      priority: t.priority ?? PRIO_DEFAULT,
      weight: 1.0,
      hostId: null,
      state: TASK_STATES.FREE,
      createUs: nowUs(),
      startUs: null,
      completionUs: null,
      waiting: null,
      awaited: null,
      requestXml: encodeCall(t.method, t.request),
      resultXml: null,
    };
    this.tasks.set(rec.id, rec);
    this.changed(rec);
    return rec;
  }

  get(id: number): TaskRecord | undefined {
    return this.tasks.get(id);
  }

  all(): TaskRecord[] {
    return [...this.tasks.values()];
  }

  children(id: number): TaskRecord[] {
    return this.all().filter((t) => t.parent === id);
  }

  /** host.openTask: FREE -> OPEN on the given host. */
  open(t: TaskRecord, hostId: number): void {
    const old = t.state;
    t.state = TASK_STATES.OPEN;
    t.hostId = hostId;
    t.startUs = nowUs();
    this.changed(t);
    this.stateChanged(t, old);
  }

  close(t: TaskRecord, result: XmlRpcValue): void {
    t.resultXml = encodeResponse(result);
    this.finish(t, TASK_STATES.CLOSED);
  }

  fail(t: TaskRecord, faultCode: number, faultString: string): void {
    t.resultXml = encodeFault(faultCode, faultString);
    this.finish(t, TASK_STATES.FAILED);
  }

  /** Returns false when the task had already finished (nothing to do). */
  cancel(t: TaskRecord): boolean {
    if (isFinished(t.state)) return false;
    this.finish(t, TASK_STATES.CANCELED);
    return true;
  }

  update(t: TaskRecord, patch: Partial<Pick<TaskRecord, 'waiting' | 'awaited'>>): void {
    Object.assign(t, patch);
    this.changed(t);
  }

  private finish(t: TaskRecord, state: TaskState): void {
    const old = t.state;
    t.state = state;
    t.completionUs = nowUs();
    this.changed(t);
    this.stateChanged(t, old);
  }

  private changed(t: TaskRecord): void {
    this.emit('change', t);
  }

  /**
   * 'state' (task, old state): the hub's postTaskStateChange callback, where plugins such as
   * koji-fedoramessaging hook in. Only real state transitions, never creation or other fields.
   */
  private stateChanged(t: TaskRecord, old: TaskState): void {
    if (old !== t.state) this.emit('state', t, old);
  }

  /** The decoded request params. */
  request(t: TaskRecord): XmlRpcValue[] {
    return decodeCall(t.requestXml, { keepDoubles: true }).params;
  }

  /** getTaskInfo's struct (the hub's Task.fields, in its order). */
  info(t: TaskRecord, withRequest = false): Record<string, XmlRpcValue> {
    const [completionTime, completionTs] = timePair(t.completionUs);
    const [createTime, createTs] = timePair(t.createUs);
    const [startTime, startTs] = timePair(t.startUs);
    const out: Record<string, XmlRpcValue> = {
      arch: t.arch,
      awaited: t.awaited,
      channel_id: t.channelId,
      completion_time: completionTime,
      completion_ts: completionTs,
      create_time: createTime,
      create_ts: createTs,
      host_id: t.hostId,
      id: t.id,
      label: t.label,
      method: t.method,
      owner: t.owner,
      parent: t.parent,
      priority: t.priority,
      start_time: startTime,
      start_ts: startTs,
      state: t.state,
      waiting: t.waiting,
      weight: asDouble(t.weight),
    };
    if (withRequest) out.request = this.request(t);
    return out;
  }

  /**
   * getTaskResult: the stored result; a failed task re-raises its fault (or returns it as a
   * struct with raiseFault=false); canceled or unfinished tasks are errors.
   */
  result(id: number, raiseFault = true): XmlRpcValue {
    const t = this.tasks.get(id);
    if (!t) throw genericError('No such task');
    if (t.state === TASK_STATES.CANCELED) throw genericError(`Task ${t.id} is canceled`);
    if (!isFinished(t.state) || t.resultXml === null) throw genericError(`Task ${t.id} is not finished`);
    const r = decodeResponse(t.resultXml, { keepDoubles: true });
    if ('value' in r) return r.value;
    if (raiseFault) throw storedFault(r.fault.faultCode, r.fault.faultString);
    return { faultCode: r.fault.faultCode, faultString: r.fault.faultString };
  }

  /** listTasks(decode=True) shape of a stored result: the params tuple, or the fault struct. */
  decodedResult(t: TaskRecord): XmlRpcValue {
    if (t.resultXml === null) return null;
    const r = decodeResponse(t.resultXml, { keepDoubles: true });
    return 'value' in r ? [r.value] : { faultCode: r.fault.faultCode, faultString: r.fault.faultString };
  }
}
