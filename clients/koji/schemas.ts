// The shapes of the hub's answers this client relies on, checked with zod at the boundary so the
// rest of the pipeline gets typed values. Objects are "loose": newer hubs add fields, and those
// must not break us. Shapes follow the recorded Koji 1.35.3 answers (reference/koji-wire).
import { z } from 'zod';
import type { XmlRpcValue } from './xmlrpc';

/** Task states (koji.TASK_STATES). */
export const TaskState = { FREE: 0, OPEN: 1, CLOSED: 2, CANCELED: 3, ASSIGNED: 4, FAILED: 5 } as const;
export type TaskStateCode = (typeof TaskState)[keyof typeof TaskState];
export const TASK_STATE_NAMES = ['FREE', 'OPEN', 'CLOSED', 'CANCELED', 'ASSIGNED', 'FAILED'] as const;
export type TaskStateName = (typeof TASK_STATE_NAMES)[number];
/** taskFinished() is true for these. */
export const FINISHED_STATES: readonly TaskStateCode[] = [TaskState.CLOSED, TaskState.CANCELED, TaskState.FAILED];

const xmlRpcValue = z.custom<XmlRpcValue>(() => true);
const id = z.number().int().nonnegative();
/** An i8 that decoded as bigint is only accepted while it still fits a JS number exactly. */
const bigNumber = z.union([z.number(), z.bigint()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  if (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v);
  ctx.addIssue({ code: 'custom', message: `integer ${v} is beyond Number.MAX_SAFE_INTEGER` });
  return z.NEVER;
});
/** st_size arrives as a decimal STRING (Python's stat results go through str() in the hub). */
const decimalString = z
  .string()
  .regex(/^\d+$/, 'a decimal number')
  .transform((s, ctx) => {
    const n = Number(s);
    if (!Number.isSafeInteger(n)) {
      ctx.addIssue({ code: 'custom', message: `size ${s} is beyond Number.MAX_SAFE_INTEGER` });
      return z.NEVER;
    }
    return n;
  });

export const taskStateSchema = z.literal([0, 1, 2, 3, 4, 5]);

export const taskInfoSchema = z.looseObject({
  id,
  method: z.string(),
  state: taskStateSchema,
  owner: id,
  parent: id.nullable(),
  label: z.string().nullable(),
  arch: z.string(),
  channel_id: id,
  host_id: id.nullable(),
  priority: z.number().int(),
  weight: z.number(),
  create_time: z.string(),
  create_ts: z.number(),
  start_time: z.string().nullable(),
  start_ts: z.number().nullable(),
  completion_time: z.string().nullable(),
  completion_ts: z.number().nullable(),
  waiting: z.boolean().nullable(),
  awaited: z.boolean().nullable(),
  /** Only with getTaskInfo(id, request=True) / getTaskChildren(id, request=True). */
  request: z.array(xmlRpcValue).optional(),
});
export type TaskInfo = z.output<typeof taskInfoSchema>;

export const taskChildrenSchema = z.array(taskInfoSchema);

/** Result of a kiwi child task (createKiwiImage, label = arch). `files`: the whole result bundle. */
export const kiwiImageResultSchema = z.looseObject({
  arch: z.string(),
  task_id: id,
  logs: z.array(z.string()),
  name: z.string(),
  version: z.string(),
  release: z.string(),
  rpmlist: z.array(xmlRpcValue),
  files: z.array(z.string()),
});
export type KiwiImageResult = z.output<typeof kiwiImageResultSchema>;

/** Result of an Oz / ImageFactory child task (createImage, label = arch): same shape as kiwi's. */
export const ozImageResultSchema = kiwiImageResultSchema;
export type OzImageResult = z.output<typeof ozImageResultSchema>;

/** Result of a livecd / appliance / livemedia child task. */
export const liveImageResultSchema = z.looseObject({
  arch: z.string(),
  files: z.array(z.string()),
  rootdev: z.string().nullable().optional(),
  task_id: id,
  logs: z.array(z.string()),
  name: z.string(),
  version: z.string(),
  release: z.string(),
});
export type LiveImageResult = z.output<typeof liveImageResultSchema>;

export const imageResultSchemas = {
  kiwi: kiwiImageResultSchema,
  oz: ozImageResultSchema,
  livecd: liveImageResultSchema,
  appliance: liveImageResultSchema,
  livemedia: liveImageResultSchema,
} as const;
export type ImageResultKind = keyof typeof imageResultSchemas;
export type ImageResult<K extends ImageResultKind> = z.output<(typeof imageResultSchemas)[K]>;

/** getTaskResult(id, raise_fault=False) of a failed task. */
export const storedFaultSchema = z.looseObject({ faultCode: z.number().int(), faultString: z.string() });

export const taskOutputStatSchema = z.looseObject({
  st_size: decimalString,
  st_atime: z.number(),
  st_mtime: z.number(),
  st_ctime: z.number(),
});
export type TaskOutputStat = z.output<typeof taskOutputStatSchema>;

export const taskOutputListSchema = z.array(z.string());
export const taskOutputStatMapSchema = z.record(z.string(), taskOutputStatSchema);
export const taskOutputVolumesSchema = z.record(z.string(), z.array(z.string()));
export const taskOutputVolumeStatsSchema = z.record(z.string(), z.record(z.string(), taskOutputStatSchema));

/** checkUpload: nil for a missing file; `sumlength`/`hexdigest` only when `verify` was given. */
export const checkUploadSchema = z
  .looseObject({
    size: bigNumber,
    mtime: z.number(),
    sumlength: bigNumber.optional(),
    hexdigest: z.string().optional(),
  })
  .nullable();
export type CheckUploadResult = z.output<typeof checkUploadSchema>;

export const loginResultSchema = z.looseObject({
  'session-id': id,
  'session-key': z.string().min(1),
  'header-auth': z.boolean().optional(),
});

export const userInfoSchema = z.looseObject({
  id,
  name: z.string(),
  status: z.number().int(),
  usertype: z.number().int(),
});
export type UserInfo = z.output<typeof userInfoSchema>;

export const taskIdSchema = id.refine((n) => n > 0, 'a task id');
export const base64TextSchema = z.string().regex(/^[A-Za-z0-9+/=\s]*$/, 'base64 text');

/** listTasks entries: only what every hub version returns is required. */
export const taskSummarySchema = z.looseObject({
  id,
  method: z.string(),
  state: taskStateSchema,
  owner: id,
  parent: id.nullable().optional(),
  label: z.string().nullable().optional(),
  arch: z.string().optional(),
  create_ts: z.number().optional(),
});
export type TaskSummary = z.output<typeof taskSummarySchema>;

/** Builds (koji.BUILD_STATES). */
export const BuildState = { BUILDING: 0, COMPLETE: 1, DELETED: 2, FAILED: 3, CANCELED: 4 } as const;

/**
 * The task methods whose results are images (kojid's image handlers and the kiwi plugin). A
 * non-scratch build's parent also has a `tagBuild` child (result nil), and other children may
 * come: only these carry an image result.
 */
export const IMAGE_CHILD_METHODS: readonly string[] = ['createKiwiImage', 'createImage', 'createLiveCD', 'createAppliance', 'createLiveMedia'];

/** getBuild / listBuilds entries (get_build's fields); only what this client reads is required. */
export const buildInfoSchema = z.looseObject({
  build_id: id,
  name: z.string(),
  version: z.string(),
  release: z.string(),
  nvr: z.string(),
  state: z.number().int(),
  task_id: id.nullable(),
});
export type BuildInfo = z.output<typeof buildInfoSchema>;
