// What a finished workflow's recorded history says about its run, including every child workflow
// it started (and theirs): how many events each history holds, its wall time, and when each
// activity ran. Read from the server with the client, as the Web UI would show it.
import type { Client } from '@temporalio/client';

type Ts = { seconds?: { toNumber(): number } | number | string | null; nanos?: number | null } | null | undefined;

function ms(ts: Ts): number {
  if (!ts) return NaN;
  const s = ts.seconds;
  const seconds = typeof s === 'number' ? s : typeof s === 'string' ? Number(s) : s ? s.toNumber() : 0;
  return seconds * 1000 + (ts.nanos ?? 0) / 1e6;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : v && typeof (v as { toNumber?: unknown }).toNumber === 'function' ? (v as { toNumber(): number }).toNumber() : Number(v));

export interface ActivityRun {
  type: string;
  workflowId: string;
  scheduledMs: number;
  startedMs: number;
  closedMs: number;
  outcome: 'completed' | 'failed' | 'timed-out' | 'canceled';
}

export interface HistoryStats {
  workflowId: string;
  events: number;
  startMs: number;
  closeMs: number;
}

export interface TreeStats {
  /** The root first, then every descendant workflow's history. */
  histories: HistoryStats[];
  /** Every activity's last attempt in the tree (Temporal records the started event of the last attempt). */
  activities: ActivityRun[];
}

/** Fetches the history of `workflowId` and of every child it (transitively) started. */
export async function historyTree(client: Client, workflowId: string, runId?: string): Promise<TreeStats> {
  const out: TreeStats = { histories: [], activities: [] };
  const queue: Array<{ workflowId: string; runId?: string }> = [{ workflowId, ...(runId ? { runId } : {}) }];
  while (queue.length > 0) {
    const next = queue.shift()!;
    const history = await client.workflow.getHandle(next.workflowId, next.runId).fetchHistory();
    const events = history.events ?? [];
    const scheduled = new Map<number, { type: string; at: number }>();
    const started = new Map<number, number>();
    for (const e of events) {
      const id = num(e.eventId);
      const at = ms(e.eventTime as Ts);
      if (e.activityTaskScheduledEventAttributes) scheduled.set(id, { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at });
      if (e.activityTaskStartedEventAttributes) started.set(id, at);
      const close =
        (e.activityTaskCompletedEventAttributes && (['completed', e.activityTaskCompletedEventAttributes] as const)) ||
        (e.activityTaskFailedEventAttributes && (['failed', e.activityTaskFailedEventAttributes] as const)) ||
        (e.activityTaskTimedOutEventAttributes && (['timed-out', e.activityTaskTimedOutEventAttributes] as const)) ||
        (e.activityTaskCanceledEventAttributes && (['canceled', e.activityTaskCanceledEventAttributes] as const));
      if (close) {
        const [outcome, attrs] = close;
        const s = scheduled.get(num(attrs.scheduledEventId));
        const st = started.get(num(attrs.startedEventId));
        if (s && st !== undefined) out.activities.push({ type: s.type, workflowId: next.workflowId, scheduledMs: s.at, startedMs: st, closedMs: at, outcome });
      }
      const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId) queue.push({ workflowId: child.workflowId, ...(child.runId ? { runId: child.runId } : {}) });
    }
    out.histories.push({
      workflowId: next.workflowId,
      events: events.length,
      startMs: ms(events[0]?.eventTime as Ts),
      closeMs: ms(events.at(-1)?.eventTime as Ts),
    });
  }
  return out;
}

/** Total length of the union of [start, end) intervals: time during which at least one ran. */
export function unionMs(intervals: Array<[number, number]>): number {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let cur: [number, number] | undefined;
  for (const [a, b] of sorted) {
    if (!cur || a > cur[1]) {
      if (cur) total += cur[1] - cur[0];
      cur = [a, b];
    } else cur[1] = Math.max(cur[1], b);
  }
  if (cur) total += cur[1] - cur[0];
  return total;
}
