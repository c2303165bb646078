// KojiClient: typed calls to a Koji hub over XML-RPC, as koji.ClientSession (1.35) makes them.
//
// Sessions. login(user, password, opts=None) or sslLogin at <hub>/ssllogin (client certificate)
// return {session-id, session-key}; every later request carries Koji-Session-Id,
// Koji-Session-Key and the call number, both as Koji-Session-Callnum (what the python client
// sends) and Koji-Callnum (what hubs 1.31–1.35 read). The call number starts at 0 after login and
// rises by one per call (a multiCall is one call). Calls run one at a time per client, because a
// hub that sees a lower callnum after a committed one answers SequenceError.
//
// Retries. Only ServerOffline (1014) and transport failures (HTTP 5xx/429, reset, refused,
// timeout) are tried again here, a few times with back-off; Temporal's activity retry policy is
// the outer layer. A retry re-sends the same request with the SAME callnum, as the python client
// does: if the first attempt had committed, the hub answers RetryError (1009) instead of doing
// the work twice. AuthExpired (1007) logs in again and repeats the call once.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent } from 'node:http';
import type { z } from 'zod';
import {
  KojiAuthExpired,
  KojiError,
  KojiProtocolError,
  KojiResponseError,
  KojiTlsError,
  KojiTransportError,
  faultToError,
  isRetryableKojiError,
} from './errors';
import type { KojiFault } from './errors';
import { DEFAULT_RETRY, retryDelayMs } from './retry-delay';
import type { RetryPolicy } from './retry-delay';
import {
  TaskState,
  base64TextSchema,
  buildInfoSchema,
  checkUploadSchema,
  imageResultSchemas,
  loginResultSchema,
  taskChildrenSchema,
  taskIdSchema,
  taskInfoSchema,
  taskOutputListSchema,
  taskOutputStatMapSchema,
  taskOutputVolumeStatsSchema,
  taskOutputVolumesSchema,
  taskSummarySchema,
  userInfoSchema,
} from './schemas';
import type { BuildInfo, CheckUploadResult, ImageResult, ImageResultKind, TaskInfo, TaskOutputStat, TaskStateCode, TaskSummary, UserInfo } from './schemas';
import {
  buildImageOzParams,
  buildImageParams,
  kiwiBuildParams,
  sameTaskRequest,
} from './submissions';
import type { KiwiBuildArgs, LiveImageOpts, LiveImageType, OzImageOpts, TaskRequest } from './submissions';
import { assertSafeTaskFileName } from './task-files';
import { fetchHttpPost, nodeHttpPost, ResponseTooLargeError, tlsAgent } from './transport';
import type { HttpPost } from './transport';
import { decodeResponse, encodeCall, isFaultStruct, kwargs } from './xmlrpc';
import type { XmlRpcStruct, XmlRpcValue } from './xmlrpc';

export type KojiAuth =
  | { method: 'password'; user: string; password: string }
  | { method: 'certificate'; certFile: string; keyFile: string; caFile?: string };

export interface RetryEvent {
  method: string;
  /** The try that failed (1-based). */
  attempt: number;
  error: KojiError;
  delayMs: number;
}

export interface KojiClientOptions {
  /** The XML-RPC endpoint, e.g. https://koji.fedoraproject.org/kojihub */
  hubUrl: string;
  /** Without auth the client is anonymous (read-only calls). */
  auth?: KojiAuth;
  retry?: Partial<RetryPolicy>;
  /** Use this fetch instead of node:http(s). It must present the client certificate itself. */
  fetch?: typeof fetch;
  /** node:http(s) agent (keep-alive, CA). Certificate auth builds its own from the files. */
  agent?: Agent;
  /** Aborts every call of this client (e.g. worker shutdown). */
  signal?: AbortSignal;
  /** Per HTTP request. Default 5 minutes. */
  timeoutMs?: number;
  /** Default 256 MiB (downloadTaskOutput chunks come back base64-encoded). */
  maxResponseBytes?: number;
  onRetry?: (event: RetryEvent) => void;
  /** Jitter source for the back-off (tests make it deterministic). */
  random?: () => number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface MultiCallRequest {
  methodName: string;
  params: XmlRpcValue[];
}

export type MultiCallEntry = { ok: true; value: XmlRpcValue } | { ok: false; error: KojiFault };

/** listTasks opts, with Koji's own key names. */
export interface ListTasksOpts {
  method?: string;
  owner?: number | number[];
  state?: TaskStateCode[];
  not_state?: TaskStateCode[];
  parent?: number | number[] | null;
  arch?: string[];
  createdAfter?: number | string;
  createdBefore?: number | string;
  decode?: boolean;
  [k: string]: XmlRpcValue | undefined;
}

export interface QueryOpts {
  order?: string;
  limit?: number;
  offset?: number;
}

export interface FindExistingTaskOptions extends TaskRequest, CallOptions {
  /** User id; default: the logged-in user. */
  owner?: number;
  /** Default FREE, OPEN, ASSIGNED, CLOSED: a failed or canceled task is not adopted. */
  states?: TaskStateCode[];
  /** How many of the newest candidates to compare. Default 50. */
  limit?: number;
}

interface Session {
  id: number;
  key: string;
  callnum: number;
}

interface Prepared {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

const TLS_CODES = /^(CERT_|ERR_TLS_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT|UNABLE_TO_(GET|VERIFY)|ERR_SSL_|ERR_TLS_)/;
const ACTIVE_OR_DONE: TaskStateCode[] = [TaskState.FREE, TaskState.OPEN, TaskState.ASSIGNED, TaskState.CLOSED];

export class KojiClient {
  private readonly hubUrl: string;
  private readonly auth: KojiAuth | undefined;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly clientSignal: AbortSignal | undefined;
  private readonly onRetry: ((e: RetryEvent) => void) | undefined;
  private readonly random: () => number;
  private readonly options: KojiClientOptions;
  private post: HttpPost | undefined;
  private session: Session | null = null;
  private user: UserInfo | null = null;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: KojiClientOptions) {
    const url = new URL(options.hubUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`hubUrl must be http(s): ${options.hubUrl}`);
    if (options.auth?.method === 'certificate' && url.protocol !== 'https:') {
      throw new TypeError('certificate login (sslLogin) needs an https:// hubUrl');
    }
    this.options = options;
    this.hubUrl = options.hubUrl.replace(/\/+$/, '');
    this.auth = options.auth;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    if (!Number.isInteger(this.retry.attempts) || this.retry.attempts < 1) throw new RangeError('retry.attempts must be an integer >= 1');
    this.timeoutMs = options.timeoutMs ?? 300_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 256 * 1024 * 1024;
    this.clientSignal = options.signal;
    this.onRetry = options.onRetry;
    this.random = options.random ?? Math.random;
  }

  /** True once a session is held (after login, or after the first call that needed one). */
  get loggedIn(): boolean {
    return this.session !== null;
  }

  // ---- sessions ----------------------------------------------------------------------------

  /** Logs in (again) with the configured credentials. Calls log in by themselves when needed. */
  async login(opts: CallOptions = {}): Promise<void> {
    await this.exclusive(() => this.doLogin(opts.signal));
  }

  /** Ends the session on the hub (logout(session_id=None)); an expired session is not an error. */
  async logout(opts: CallOptions = {}): Promise<void> {
    await this.exclusive(async () => {
      if (!this.session) return;
      try {
        await this.sendOnce(this.prepare('logout', [kwargs({ session_id: null })]), opts.signal);
      } catch (err) {
        if (!(err instanceof KojiAuthExpired)) throw err;
      } finally {
        this.session = null;
        this.user = null;
      }
    });
  }

  async getLoggedInUser(opts: CallOptions = {}): Promise<UserInfo | null> {
    const v = await this.call('getLoggedInUser', [], opts);
    return parse(userInfoSchema.nullable(), v, 'getLoggedInUser');
  }

  // ---- submissions -------------------------------------------------------------------------

  /** kiwiBuild(target, arches, desc_url, desc_path, **options) -> parent task id. */
  async kiwiBuild(args: KiwiBuildArgs, opts: CallOptions = {}): Promise<number> {
    return parse(taskIdSchema, await this.call('kiwiBuild', kiwiBuildParams(args), opts), 'kiwiBuild');
  }

  /** buildImageOz(name, version, arches, target, inst_tree, opts, priority) -> parent task id (method "image"). */
  async buildImageOz(
    name: string,
    version: string,
    arches: string[],
    target: string,
    instTree: string,
    imageOpts?: OzImageOpts,
    extra: CallOptions & { priority?: number } = {},
  ): Promise<number> {
    const params = buildImageOzParams(name, version, arches, target, instTree, imageOpts, extra.priority);
    return parse(taskIdSchema, await this.call('buildImageOz', params, extra), 'buildImageOz');
  }

  /** buildImage(name, version, arch, target, ksfile, img_type, opts, priority) -> task id (method = img_type). */
  async buildImage(
    name: string,
    version: string,
    arch: string,
    target: string,
    ksfile: string,
    imgType: LiveImageType,
    imageOpts?: LiveImageOpts,
    extra: CallOptions & { priority?: number } = {},
  ): Promise<number> {
    const params = buildImageParams(name, version, arch, target, ksfile, imgType, imageOpts, extra.priority);
    return parse(taskIdSchema, await this.call('buildImage', params, extra), 'buildImage');
  }

  /**
   * The newest task of this user with the same method and the same stored request, or null.
   * Koji has no client token, so this is how a submission whose answer was lost is recognised:
   * call it before every (re)submission and adopt what it finds. Failed and canceled tasks are
   * not adopted (resubmitting is right for them); a CLOSED one is (the image exists already).
   */
  async findExistingTask(find: FindExistingTaskOptions): Promise<TaskInfo | null> {
    const callOpts = { signal: find.signal };
    let owner = find.owner;
    if (owner === undefined) {
      const me = this.user ?? (await this.getLoggedInUser(callOpts));
      if (!me) throw new KojiError('findExistingTask needs an owner or a logged-in session');
      this.user = me;
      owner = me.id;
    }
    const candidates = await this.listTasks(
      { method: find.method, owner, state: find.states ?? ACTIVE_OR_DONE },
      { order: '-id', limit: find.limit ?? 50 },
      callOpts,
    );
    if (candidates.length === 0) return null;
    // One call for all candidates: getTaskInfo accepts a list of ids.
    const infos = parse(
      taskInfoSchema.nullable().array(),
      await this.call('getTaskInfo', [candidates.map((t) => t.id), kwargs({ request: true })], callOpts),
      'getTaskInfo',
    );
    const matches = infos.filter(
      (t): t is TaskInfo => t !== null && t.method === find.method && t.owner === owner && t.request !== undefined && sameTaskRequest(find.method, find.request, t.request),
    );
    matches.sort((a, b) => b.id - a.id);
    return matches[0] ?? null;
  }

  // ---- following tasks ---------------------------------------------------------------------

  async listTasks(taskOpts: ListTasksOpts = {}, queryOpts?: QueryOpts, opts: CallOptions = {}): Promise<TaskSummary[]> {
    const params: XmlRpcValue[] = [defined(taskOpts)];
    if (queryOpts) params.push(defined({ ...queryOpts }));
    return parse(taskSummarySchema.array(), await this.call('listTasks', params, opts), 'listTasks');
  }

  /** getTaskInfo(id, request=…, strict=…): null for a missing task unless strict. */
  async getTaskInfo(taskId: number, opts: CallOptions & { request?: boolean; strict?: boolean } = {}): Promise<TaskInfo | null> {
    const params = withKwargs([taskId], { request: opts.request || undefined, strict: opts.strict || undefined });
    return parse(taskInfoSchema.nullable(), await this.call('getTaskInfo', params, opts), 'getTaskInfo');
  }

  async getTaskChildren(taskId: number, opts: CallOptions & { request?: boolean; strict?: boolean } = {}): Promise<TaskInfo[]> {
    const params = withKwargs([taskId], { request: opts.request || undefined, strict: opts.strict || undefined });
    return parse(taskChildrenSchema, await this.call('getTaskChildren', params, opts), 'getTaskChildren');
  }

  /**
   * getTaskResult(id): the stored result. An unfinished or canceled task is a KojiGenericError; a
   * failed one re-raises its stored fault (e.g. KojiBuildError) unless raiseFault is false, in
   * which case the {faultCode, faultString} struct is returned.
   */
  async getTaskResult(taskId: number, opts: CallOptions & { raiseFault?: boolean } = {}): Promise<XmlRpcValue> {
    const params = withKwargs([taskId], { raise_fault: opts.raiseFault === false ? false : undefined });
    return this.call('getTaskResult', params, opts);
  }

  /** The result of an image child task (kiwi createKiwiImage, Oz createImage, livecd/appliance/livemedia), validated. */
  async getImageResult<K extends ImageResultKind>(childTaskId: number, kind: K, opts: CallOptions = {}): Promise<ImageResult<K>> {
    const v = await this.getTaskResult(childTaskId, opts);
    return parse(imageResultSchemas[kind], v, 'getTaskResult') as ImageResult<K>;
  }

  /** The builds a task made (listBuilds(taskID=…)): a non-scratch image build's parent has one. */
  async listBuildsOfTask(taskId: number, opts: CallOptions = {}): Promise<BuildInfo[]> {
    return parse(buildInfoSchema.array(), await this.call('listBuilds', withKwargs([], { taskID: taskId }), opts), 'listBuilds');
  }

  /** getBuild(id or NVR): null for a missing build. */
  async getBuild(build: number | string, opts: CallOptions = {}): Promise<BuildInfo | null> {
    return parse(buildInfoSchema.nullable(), await this.call('getBuild', [build], opts), 'getBuild');
  }

  async taskFinished(taskId: number, opts: CallOptions = {}): Promise<boolean> {
    const v = await this.call('taskFinished', [taskId], opts);
    if (typeof v !== 'boolean') throw new KojiResponseError('taskFinished', `expected a boolean, got ${describe(v)}`);
    return v;
  }

  /** cancelTask(id, recurse=True): a no-op for a task already canceled. Owner (or admin) only. */
  async cancelTask(taskId: number, opts: CallOptions & { recurse?: boolean } = {}): Promise<void> {
    await this.call('cancelTask', withKwargs([taskId], { recurse: opts.recurse === false ? false : undefined }), opts);
  }

  /** listTaskOutput(id, stat=…, all_volumes=…); st_size comes as a string and is returned as a number. */
  listTaskOutput(taskId: number, opts?: CallOptions & { stat?: false; allVolumes?: false; strict?: boolean }): Promise<string[]>;
  listTaskOutput(taskId: number, opts: CallOptions & { stat: true; allVolumes?: false; strict?: boolean }): Promise<Record<string, TaskOutputStat>>;
  listTaskOutput(taskId: number, opts: CallOptions & { stat?: false; allVolumes: true; strict?: boolean }): Promise<Record<string, string[]>>;
  listTaskOutput(taskId: number, opts: CallOptions & { stat: true; allVolumes: true; strict?: boolean }): Promise<Record<string, Record<string, TaskOutputStat>>>;
  async listTaskOutput(
    taskId: number,
    opts: CallOptions & { stat?: boolean; allVolumes?: boolean; strict?: boolean } = {},
  ): Promise<string[] | Record<string, TaskOutputStat> | Record<string, string[]> | Record<string, Record<string, TaskOutputStat>>> {
    const params = withKwargs([taskId], { stat: opts.stat || undefined, all_volumes: opts.allVolumes || undefined, strict: opts.strict || undefined });
    const v = await this.call('listTaskOutput', params, opts);
    if (opts.stat && opts.allVolumes) return parse(taskOutputVolumeStatsSchema, v, 'listTaskOutput');
    if (opts.stat) return parse(taskOutputStatMapSchema, v, 'listTaskOutput');
    if (opts.allVolumes) return parse(taskOutputVolumesSchema, v, 'listTaskOutput');
    return parse(taskOutputListSchema, v, 'listTaskOutput');
  }

  /**
   * downloadTaskOutput(id, name, offset=0, size=-1): the bytes (the hub sends them as base64 text
   * inside <string>). A negative offset counts from the end; past EOF gives an empty buffer.
   * For whole images use the files server (taskFileUrl) with HTTP Range instead.
   */
  async downloadTaskOutput(taskId: number, fileName: string, offset = 0, size = -1, opts: CallOptions & { volume?: string } = {}): Promise<Buffer> {
    assertSafeTaskFileName(fileName);
    const kw: XmlRpcStruct = { offset, size };
    if (opts.volume && opts.volume !== 'DEFAULT') kw.volume = opts.volume;
    const v = await this.call('downloadTaskOutput', [taskId, fileName, kwargs(kw)], opts);
    return Buffer.from(parse(base64TextSchema, v, 'downloadTaskOutput'), 'base64');
  }

  /**
   * checkUpload(path, name, verify=…, tail=…): size and mtime of a file under the hub's work dir
   * (e.g. "tasks/8/8"), plus its digest when `verify` is given; null when missing. With verify
   * the hub reads the whole file: prefer the checksum file kiwi writes beside each image.
   */
  async checkUpload(path: string, name: string, opts: CallOptions & { verify?: 'sha256' | 'adler32' | 'md5'; tail?: number; volume?: string } = {}): Promise<CheckUploadResult> {
    const params = withKwargs([path, name], { verify: opts.verify, tail: opts.tail, volume: opts.volume && opts.volume !== 'DEFAULT' ? opts.volume : undefined });
    return parse(checkUploadSchema, await this.call('checkUpload', params, opts), 'checkUpload');
  }

  /**
   * multiCall([{methodName, params}]): one request, one transaction on the hub, one callnum.
   * Each entry is either the result or the fault as a KojiFault subclass (nothing is thrown for
   * an entry's fault). Keyword arguments go inside params via kwargs().
   */
  async multiCall(calls: MultiCallRequest[], opts: CallOptions = {}): Promise<MultiCallEntry[]> {
    const v = await this.call('multiCall', [calls.map((c) => ({ methodName: c.methodName, params: c.params }))], opts);
    if (!Array.isArray(v) || v.length !== calls.length) {
      throw new KojiResponseError('multiCall', `expected ${calls.length} entries, got ${describe(v)}`);
    }
    return v.map((entry, i): MultiCallEntry => {
      if (Array.isArray(entry) && entry.length === 1) return { ok: true, value: entry[0]! };
      if (isFaultStruct(entry)) return { ok: false, error: faultToError(entry, calls[i]!.methodName) };
      throw new KojiResponseError('multiCall', `entry ${i} is neither [result] nor a fault: ${describe(entry)}`);
    });
  }

  /** Any hub method, for what has no typed wrapper. Keyword arguments: append kwargs({...}). */
  async call(method: string, params: XmlRpcValue[], opts: CallOptions = {}): Promise<XmlRpcValue> {
    return this.exclusive(async () => {
      let relogged = false;
      for (;;) {
        throwIfAborted(opts.signal, this.clientSignal);
        if (this.auth && !this.session) await this.doLogin(opts.signal);
        const prepared = this.prepare(method, params);
        try {
          return await this.sendWithRetry(prepared, opts.signal);
        } catch (err) {
          if (err instanceof KojiAuthExpired && this.auth && !relogged) {
            relogged = true;
            this.session = null;
            this.user = null;
            continue;
          }
          throw err;
        }
      }
    });
  }

  // ---- internals ---------------------------------------------------------------------------

  /** One call at a time per client (and per session): the hub's callnum check needs order. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async doLogin(signal: AbortSignal | undefined): Promise<void> {
    const auth = this.auth;
    if (!auth) throw new KojiError('no credentials configured: this client is anonymous');
    this.session = null;
    this.user = null;
    let prepared: Prepared;
    if (auth.method === 'password') {
      prepared = this.prepare('login', [auth.user, auth.password, kwargs({ opts: null })]);
    } else {
      await this.transport();
      // The web server in front of the hub checks the client certificate on <hub>/ssllogin and
      // hands the hub the user's name.
      prepared = { ...this.prepare('sslLogin', [null]), url: `${this.hubUrl}/ssllogin` };
    }
    const v = await this.sendWithRetry(prepared, signal);
    const info = parse(loginResultSchema, v, prepared.method);
    this.session = { id: info['session-id'], key: info['session-key'], callnum: 0 };
  }

  private async transport(): Promise<HttpPost> {
    if (this.post) return this.post;
    if (this.options.fetch) {
      this.post = fetchHttpPost(this.options.fetch);
    } else if (this.auth?.method === 'certificate') {
      const { certFile, keyFile, caFile } = this.auth;
      const [cert, key, ca] = await Promise.all([readFile(certFile), readFile(keyFile), caFile ? readFile(caFile) : Promise.resolve(undefined)]);
      this.post = nodeHttpPost(tlsAgent({ cert, key, ...(ca ? { ca } : {}) }));
    } else {
      this.post = nodeHttpPost(this.options.agent);
    }
    return this.post;
  }

  /** Encodes the call and stamps it with the session and the next callnum. */
  private prepare(method: string, params: XmlRpcValue[]): Prepared {
    const headers: Record<string, string> = { 'Content-Type': 'text/xml', 'User-Agent': 'koji/1' };
    const s = this.session;
    if (s) {
      const callnum = String(s.callnum);
      s.callnum += 1;
      headers['Koji-Session-Id'] = String(s.id);
      headers['Koji-Session-Key'] = s.key;
      headers['Koji-Session-Callnum'] = callnum;
      headers['Koji-Callnum'] = callnum;
    }
    return { method, url: this.hubUrl, headers, body: encodeCall(method, params) };
  }

  private async sendWithRetry(prepared: Prepared, signal: AbortSignal | undefined): Promise<XmlRpcValue> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sendOnce(prepared, signal);
      } catch (err) {
        if (!isRetryableKojiError(err) || attempt >= this.retry.attempts) throw err;
        const delayMs = retryDelayMs(attempt, this.retry, this.random);
        this.onRetry?.({ method: prepared.method, attempt, error: err as KojiError, delayMs });
        const signals = [signal, this.clientSignal].filter((s): s is AbortSignal => s !== undefined);
        await sleep(delayMs, undefined, signals.length > 0 ? { signal: AbortSignal.any(signals) } : {});
      }
    }
  }

  private async sendOnce(prepared: Prepared, signal: AbortSignal | undefined): Promise<XmlRpcValue> {
    const post = await this.transport();
    throwIfAborted(signal, this.clientSignal);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signals = [timeout, signal, this.clientSignal].filter((s): s is AbortSignal => s !== undefined);
    const { method } = prepared;
    let res;
    try {
      res = await post({ url: prepared.url, headers: prepared.headers, body: prepared.body, signal: AbortSignal.any(signals), maxResponseBytes: this.maxResponseBytes });
    } catch (err) {
      throwIfAborted(signal, this.clientSignal);
      if (timeout.aborted) throw new KojiTransportError(`${method}: no answer within ${this.timeoutMs} ms`, { code: 'ETIMEDOUT', cause: err });
      throw classifyFailure(method, err);
    }
    if (res.status >= 500 || res.status === 429) {
      throw new KojiTransportError(`${method}: HTTP ${res.status} from the hub`, { status: res.status });
    }
    if (res.status !== 200) {
      throw new KojiProtocolError(`${method}: HTTP ${res.status}: ${res.body.slice(0, 200).trim()}`, { status: res.status });
    }
    let decoded;
    try {
      decoded = decodeResponse(res.body);
    } catch (err) {
      throw new KojiProtocolError(`${method}: the answer is not XML-RPC: ${(err as Error).message}`, { status: res.status, cause: err });
    }
    if ('fault' in decoded) throw faultToError(decoded.fault, method);
    return decoded.value;
  }
}

function classifyFailure(method: string, err: unknown): KojiError {
  if (err instanceof ResponseTooLargeError) return new KojiProtocolError(`${method}: ${err.message}`, { cause: err });
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const message = typeof e?.cause?.message === 'string' ? e.cause.message : String(e?.message ?? err);
  if (code !== undefined && TLS_CODES.test(code)) return new KojiTlsError(`${method}: TLS failure ${code}: ${message}`, { code, cause: err });
  return new KojiTransportError(`${method}: ${code ?? 'network error'}: ${message}`, { ...(code ? { code } : {}), cause: err });
}

function throwIfAborted(...signals: (AbortSignal | undefined)[]): void {
  for (const s of signals) s?.throwIfAborted();
}

function parse<S extends z.ZodType>(schema: S, value: XmlRpcValue, method: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const detail = r.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`)
    .join('; ');
  throw new KojiResponseError(method, detail);
}

function describe(v: XmlRpcValue | undefined): string {
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return s === undefined ? String(v) : s.length > 120 ? `${s.slice(0, 120)}…` : s;
}

/** positional params plus a keyword struct of the members that are not undefined (none: no struct). */
function withKwargs(params: XmlRpcValue[], kw: Record<string, XmlRpcValue | undefined>): XmlRpcValue[] {
  const present = defined(kw);
  return Object.keys(present).length > 0 ? [...params, kwargs(present)] : params;
}

function defined(o: Record<string, XmlRpcValue | undefined>): XmlRpcStruct {
  const out: XmlRpcStruct = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

