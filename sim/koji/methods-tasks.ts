// Following tasks: getTaskInfo (an id or a list), getTaskChildren/Descendents, getTaskResult,
// taskFinished, cancelTask and listTasks, with the hub's answers for missing tasks (nil, or
// "query returned no rows" / "No such task" when strict).
import { isStruct } from '../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import { describe, toInt, truthy } from './hub-context';
import type { HubDeps, MethodTable } from './hub-context';
import { actionNotAllowed, genericError, pythonError } from './koji-errors';
import { sig } from './signature';
import { isFinished } from './task-store';
import type { TaskRecord } from './task-store';

export function taskMethods(d: HubDeps): MethodTable {
  const noRows = () => genericError('query returned no rows');

  const info = (id: XmlRpcValue, request: boolean, strict: boolean): XmlRpcValue => {
    const t = d.store.get(toInt(id, 'task_id'));
    if (!t) {
      if (strict) throw noRows();
      return null;
    }
    return d.store.info(t, request);
  };

  return {
    getTaskInfo: {
      sig: sig('RootExports.getTaskInfo', 'task_id, request=False, strict=False'),
      fn: ({ args }) => {
        const request = truthy(args.request);
        const strict = truthy(args.strict);
        if (Array.isArray(args.task_id)) return args.task_id.map((id) => info(id, request, strict));
        return info(args.task_id!, request, strict);
      },
    },
    getTaskChildren: {
      sig: sig('RootExports.getTaskChildren', 'task_id, request=False, strict=False'),
      fn: ({ args }) => {
        const id = toInt(args.task_id, 'task_id');
        if (truthy(args.strict) && !d.store.get(id)) throw noRows();
        return shuffled(d.store.children(id), d.shuffle).map((c) => d.store.info(c, truthy(args.request)));
      },
    },
    getTaskDescendents: {
      sig: sig('RootExports.getTaskDescendents', 'task_id, request=False'),
      fn: ({ args }) => {
        const out: Record<string, XmlRpcValue> = {};
        const walk = (id: number) => {
          const kids = d.store.children(id);
          out[String(id)] = kids.map((c) => d.store.info(c, truthy(args.request)));
          for (const k of kids) walk(k.id);
        };
        walk(toInt(args.task_id, 'task_id'));
        return out;
      },
    },
    getTaskResult: {
      sig: sig('RootExports.getTaskResult', 'taskId, raise_fault=True'),
      fn: ({ args }) => d.store.result(toInt(args.taskId, 'taskId'), truthy(args.raise_fault)),
    },
    taskFinished: {
      sig: sig('RootExports.taskFinished', 'taskId'),
      fn: ({ args }) => {
        const t = d.store.get(toInt(args.taskId, 'taskId'));
        if (!t) throw noRows();
        return isFinished(t.state);
      },
    },
    cancelTask: {
      sig: sig('RootExports.cancelTask', 'task_id, recurse=True'),
      fn: ({ args }, ctx) => {
        const id = toInt(args.task_id, 'task_id');
        const t = d.store.get(id);
        if (!t) throw genericError(`No such task: ${id}`);
        const allowed = ctx.user !== undefined && (ctx.user.id === t.owner || ctx.user.usertype === 1 || d.users.hasPerm(ctx.user, 'admin'));
        if (!allowed) throw actionNotAllowed('Cannot cancel task, not owner');
        if (!isFinished(t.state)) {
          d.engine.cancel(t, truthy(args.recurse));
          ctx.commit = true;
        }
        return null;
      },
    },
    listTasks: {
      sig: sig('RootExports.listTasks', 'opts=None, queryOpts=None'),
      fn: ({ args }) => listTasks(d, isStruct(args.opts) ? args.opts : {}, isStruct(args.queryOpts) ? args.queryOpts : {}),
    },
  };
}

/** Fisher–Yates with the hub's seeded PRNG: the real query has no ORDER BY. */
function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const ID_FILTERS: Array<[string, (t: TaskRecord) => number | null]> = [
  ['owner', (t) => t.owner],
  ['host_id', (t) => t.hostId],
  ['channel_id', (t) => t.channelId],
  ['parent', (t) => t.parent],
];

const TIME_FILTERS: Array<[string, (t: TaskRecord) => number | null, 'before' | 'after']> = [
  ['createdBefore', (t) => t.createUs, 'before'],
  ['createdAfter', (t) => t.createUs, 'after'],
  ['startedBefore', (t) => t.startUs, 'before'],
  ['startedAfter', (t) => t.startUs, 'after'],
  ['completeBefore', (t) => t.completionUs, 'before'],
  ['completeAfter', (t) => t.completionUs, 'after'],
];

function asList(v: XmlRpcValue): XmlRpcValue[] {
  return Array.isArray(v) ? v : [v];
}

function idOf(v: XmlRpcValue, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  // The hub formats these with %(x)i: anything but a number is a TypeError there.
  throw pythonError('TypeError', `%i format: a real number is required, not ${typeof v === 'string' ? 'str' : describe(v)} (listTasks ${what})`);
}

function timeUs(v: XmlRpcValue): number {
  if (typeof v === 'number') return v * 1e6;
  if (v !== null && typeof v === 'object' && 'value' in v && typeof v.value === 'number') return v.value * 1e6;
  if (typeof v === 'string') {
    const ms = Date.parse(v.includes('T') || /[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(' ', 'T')}Z`);
    if (!Number.isNaN(ms)) return ms * 1000;
  }
  throw genericError(`Invalid time: ${describe(v)}`);
}

function listTasks(d: HubDeps, opts: Record<string, XmlRpcValue>, q: Record<string, XmlRpcValue>): XmlRpcValue {
  let tasks = d.store.all();
  for (const f of ['arch', 'state'] as const) {
    const get = (t: TaskRecord) => (f === 'arch' ? t.arch : t.state);
    if (f in opts) {
      const want = asList(opts[f]!);
      tasks = tasks.filter((t) => want.includes(get(t)));
    }
    if (`not_${f}` in opts) {
      const not = asList(opts[`not_${f}`]!);
      tasks = tasks.filter((t) => !not.includes(get(t)));
    }
  }
  for (const [f, get] of ID_FILTERS) {
    for (const negate of [false, true]) {
      const key = negate ? `not_${f}` : f;
      if (!(key in opts)) continue;
      const v = opts[key]!;
      const match = (t: TaskRecord) => (v === null ? get(t) === null : asList(v).map((x) => idOf(x, key)).includes(get(t) as number));
      tasks = tasks.filter((t) => match(t) !== negate);
    }
  }
  if ('method' in opts) tasks = tasks.filter((t) => t.method === opts.method);
  for (const [f, get, dir] of TIME_FILTERS) {
    if (!(f in opts) || opts[f] === null) continue;
    const limit = timeUs(opts[f]!);
    tasks = tasks.filter((t) => {
      const v = get(t);
      return v !== null && (dir === 'before' ? v < limit : v > limit);
    });
  }
  const order = typeof q.order === 'string' ? q.order : 'id';
  const desc = order.startsWith('-');
  const field = desc ? order.slice(1) : order;
  const key = (t: TaskRecord): number | string => {
    const i = d.store.info(t) as Record<string, XmlRpcValue>;
    const v = i[field];
    return typeof v === 'number' || typeof v === 'string' ? v : v !== null && typeof v === 'object' && 'value' in v ? Number(v.value) : -Infinity;
  };
  tasks = [...tasks].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    const c = x < y ? -1 : x > y ? 1 : a.id - b.id;
    return desc ? -c : c;
  });
  if (truthy(q.countOnly)) return tasks.length;
  const offset = typeof q.offset === 'number' ? q.offset : 0;
  tasks = tasks.slice(offset, typeof q.limit === 'number' ? offset + q.limit : undefined);
  const decode = truthy(opts.decode);
  return tasks.map((t) => {
    const owner = d.users.byId(t.owner);
    const host = t.hostId === null ? undefined : d.users.all().find((u) => u.usertype === 1);
    return {
      ...d.store.info(t),
      request: decode ? d.store.request(t) : t.requestXml,
      result: decode ? d.store.decodedResult(t) : t.resultXml,
      owner_name: owner?.name ?? null,
      owner_type: owner?.usertype ?? null,
      host_name: host?.name ?? null,
    };
  });
}

