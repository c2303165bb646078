// Koji's buildsys.task.state.change, read for one purpose: "task <id> changed state, look now".
// Only the task id and the new state name are taken; everything else in the message (urls,
// file names, results) is ignored on purpose: files come from the configured Koji topurl only.
import { z } from 'zod';

export const KOJI_TASK_STATE_CHANGE_TOPIC = 'buildsys.task.state.change';

const taskStateChange = z.object({
  id: z.number().int().positive(),
  new: z.string().regex(/^[A-Z]{1,16}$/, "a Koji state name such as 'CLOSED'"),
  owner: z.unknown().optional(),
});

export interface KojiTaskStateChange {
  taskId: number;
  state: string;
  /** The owner's user name, when the message gives one as a string; used only as a filter. */
  owner?: string;
}

export function parseKojiTaskStateChange(body: unknown): { ok: true; value: KojiTaskStateChange } | { ok: false; problem: string } {
  const r = taskStateChange.safeParse(body);
  if (!r.success) return { ok: false, problem: r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') };
  const owner = typeof r.data.owner === 'string' ? r.data.owner : undefined;
  return { ok: true, value: { taskId: r.data.id, state: r.data.new, ...(owner !== undefined ? { owner } : {}) } };
}
