// One simulator instance: the hub at POST /kojihub, the files at /kojifiles/, the controls at
// /sim/, all on one node:http server, with the task engine behind them.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeCall, encodeFault, encodeResponse, XmlRpcParseError } from '../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import { Artifacts } from './artifacts';
import { BuildStore } from './builds';
import { BusAnnouncer } from './bus-announcer';
import { nowUs } from './clock';
import { jsonSafe, serveControl } from './control-http';
import { DiskImageFactory } from './disk-image';
import { Engine } from './engine';
import type { Timing } from './engine';
import { KojiFaults } from './fault-injection';
import { serveFile, type FileRequest } from './file-server';
import { Hub } from './hub';
import { KOJI_VERSION } from './hub-context';
import type { HubDeps } from './hub-context';
import { KojiFault, pythonError } from './koji-errors';
import { resolveOptions } from './options';
import type { KojiSimOptions, ResolvedOptions } from './options';
import { seededRandom } from './prng';
import { Targets } from './targets';
import { TaskFiles } from './task-files';
import { STATE_NAMES, TaskStore, isFinished } from './task-store';
import type { TaskRecord } from './task-store';
import { Sessions, Users } from './users';

const MAX_BODY = 64 * 1024 * 1024;

export interface TaskSummary {
  id: number;
  method: string;
  state: number;
  stateName: string;
  arch: string;
  label: string | null;
  parent: number | null;
  owner: string;
  priority: number;
  hostId: number | null;
  request: unknown;
  result: unknown;
}

export class KojiSim {
  readonly faults: KojiFaults;
  readonly store = new TaskStore();
  readonly builds = new BuildStore();
  readonly users = new Users();
  readonly sessions: Sessions;
  readonly targets: Targets;
  readonly files: TaskFiles;
  readonly engine: Engine;
  readonly hub: Hub;
  readonly options: ResolvedOptions;
  /** Password of the seeded admin user. */
  readonly adminPassword: string;
  /** Present when options.bus is set: announces scratch parents' state changes. */
  readonly announcer: BusAnnouncer | undefined;
  /** Requests to /kojifiles/ in arrival order, the newest 10,000+ (tests check resumed downloads). */
  readonly fileRequests: FileRequest[] = [];
  private readonly server: Server;
  private readonly submissionCounts = new Map<string, number>();
  private baseUrl = '';

  private constructor(opts: KojiSimOptions) {
    this.options = resolveOptions(opts);
    const o = this.options;
    this.faults = new KojiFaults(o.seed);
    this.sessions = new Sessions(this.users, seededRandom(o.seed ^ 0x5eed));
    this.adminPassword = o.adminPassword ?? randomBytes(12).toString('base64url');
    this.users.add('admin', this.adminPassword, ['admin']);
    this.users.add(o.hostName, null, [], 1);
    for (const u of o.users) this.users.add(u.name, u.password, u.perms ?? []);
    this.targets = new Targets(o.targets, Math.floor(nowUs() / 1e6) * 1e6);
    this.files = new TaskFiles(o.dataDir);
    const artifacts = new Artifacts(new DiskImageFactory({ cacheDir: o.cacheDir, qcow2Compress: o.qcow2Compress }), {
      imageSizeBytes: o.imageSizeBytes,
      hook: o.materialize,
    });
    this.engine = new Engine({
      store: this.store,
      builds: this.builds,
      files: this.files,
      artifacts,
      targets: this.targets,
      users: this.users,
      kinds: { kiwiImageName: o.kiwiImageName, kiwiDefaultVersion: o.kiwiDefaultVersion, defaultRelease: o.defaultRelease, kiwiFormats: o.kiwiFormats },
      timing: o.timing,
      autoRun: o.autoRun,
      hostId: 1,
      builderTopDir: o.builderTopDir,
      log: o.log,
    });
    const deps: HubDeps = {
      users: this.users,
      sessions: this.sessions,
      store: this.store,
      builds: this.builds,
      engine: this.engine,
      // getTaskChildren's order: a real hub's query has no ORDER BY.
      shuffle: seededRandom(o.seed ^ 0xc41d),
      targets: this.targets,
      files: this.files,
      faults: this.faults,
      submissions: this.submissionCounts,
    };
    this.hub = new Hub(deps, o.log, o.hostName);
    this.announcer = o.bus
      ? new BusAnnouncer(
          { store: this.store, users: this.users, hostName: o.hostName, baseUrl: () => this.baseUrl, topUrl: () => this.topUrl, log: o.log },
          o.bus,
        )
      : undefined;
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        o.log(`koji-sim: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end();
      });
    });
  }

  /** Starts a simulator; resolves once it listens. */
  static async start(opts: KojiSimOptions): Promise<KojiSim> {
    const sim = new KojiSim(opts);
    await mkdir(sim.options.dataDir, { recursive: true });
    await sim.files.reset();
    await new Promise<void>((resolve, reject) => {
      sim.server.once('error', reject);
      sim.server.listen(sim.options.port, sim.options.host, () => resolve());
    });
    const a = sim.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    sim.baseUrl = `http://${host}:${a.port}`;
    return sim;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return this.baseUrl;
  }

  /** The XML-RPC endpoint (koji's `server`). */
  get hubUrl(): string {
    return `${this.baseUrl}/kojihub`;
  }

  /** The files base (koji's `topurl`). */
  get topUrl(): string {
    return `${this.baseUrl}/kojifiles`;
  }

  get timing(): Timing {
    return this.options.timing;
  }

  /** Where a task's output lives on disk (tests may put files there). */
  taskDir(id: number): string {
    return this.files.taskDir(id);
  }

  /** Manual mode (autoRun: false): let a build open its subtasks, or finish. */
  advance(parentId: number, to: 'open' | 'done' = 'done'): Promise<void> {
    return this.engine.advance(parentId, to);
  }

  /** Resolves with the task once `until` holds (default: finished). */
  waitForTask(id: number, { until = (t: TaskRecord) => isFinished(t.state), timeoutMs = 60_000 } = {}): Promise<TaskRecord> {
    return new Promise((resolve, reject) => {
      const check = (t: TaskRecord) => {
        if (t.id !== id || !until(t)) return false;
        cleanup();
        resolve(t);
        return true;
      };
      const onChange = (t: TaskRecord) => void check(t);
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`task ${id} did not get there within ${timeoutMs} ms (state ${STATE_NAMES[this.store.get(id)?.state ?? 0]})`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.store.off('change', onChange);
      };
      this.store.on('change', onChange);
      const t = this.store.get(id);
      if (t) check(t);
    });
  }

  /** How many tasks were submitted, optionally only by this owner (name) and/or task method. */
  submissions(filter: { owner?: string; method?: string } = {}): number {
    let n = 0;
    for (const [k, v] of this.submissionCounts) {
      const [owner, method] = k.split('\t');
      if ((filter.owner === undefined || owner === filter.owner) && (filter.method === undefined || method === filter.method)) n += v;
    }
    return n;
  }

  /** Which process serves, and where (GET /sim/info). */
  info(): { pid: number; kojiVersion: string; hubUrl: string; topUrl: string; tasks: number } {
    return { pid: process.pid, kojiVersion: KOJI_VERSION, hubUrl: this.hubUrl, topUrl: this.topUrl, tasks: this.store.all().length };
  }

  /** Tasks, submissions and sessions as plain JSON (GET /sim/state). */
  state(): { tasks: TaskSummary[]; submissions: Array<{ owner: string; method: string; count: number }>; sessions: unknown[]; faults: unknown } {
    return {
      tasks: this.store.all().map((t) => this.summary(t)),
      submissions: [...this.submissionCounts].map(([k, count]) => {
        const [owner, method] = k.split('\t') as [string, string];
        return { owner, method, count };
      }),
      sessions: this.sessions.all().map((s) => ({ id: s.id, user: this.users.byId(s.userId)?.name, open: s.open, expired: s.expired, callnum: s.callnum })),
      faults: this.faults.snapshot(),
    };
  }

  summary(t: TaskRecord): TaskSummary {
    let result: unknown = null;
    if (t.resultXml !== null) result = jsonSafe(this.store.decodedResult(t));
    return {
      id: t.id,
      method: t.method,
      state: t.state,
      stateName: STATE_NAMES[t.state],
      arch: t.arch,
      label: t.label,
      parent: t.parent,
      owner: this.users.byId(t.owner)?.name ?? String(t.owner),
      priority: t.priority,
      hostId: t.hostId,
      request: jsonSafe(this.store.request(t)),
      result,
    };
  }

  async close(): Promise<void> {
    await this.engine.close();
    await this.announcer?.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://sim');
    const body = await readBody(req);
    if (u.pathname === '/kojihub') return this.serveHub(req, res, u, body);
    if (u.pathname.startsWith('/kojifiles/')) {
      let rel: string;
      try {
        rel = decodeURIComponent(u.pathname.slice('/kojifiles/'.length));
      } catch {
        rel = '\0';
      }
      return serveFile(req, res, rel, this.files, this.faults, (r) => {
        // Bounded for the stack's long-running simulator: the newest 10,000 to 20,000 are kept.
        if (this.fileRequests.push(r) > 20_000) this.fileRequests.splice(0, 10_000);
      });
    }
    if (u.pathname.startsWith('/sim/')) return serveControl(req, res, u.pathname, u.searchParams, body, this);
    res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 10 });
    res.end('Not Found\n');
  }

  private async serveHub(req: IncomingMessage, res: ServerResponse, u: URL, body: Buffer): Promise<void> {
    const plain = (status: number, text: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'Koji-Version': KOJI_VERSION, 'Content-Length': Buffer.byteLength(text), 'Content-Type': 'text/plain', ...extra });
      res.end(text);
    };
    if (req.method !== 'POST') return plain(405, 'Method Not Allowed\nThis is an XML-RPC server. Only POST requests are accepted.\n', { Allow: 'POST' });
    const isUpload = req.headers['content-type'] === 'application/octet-stream';
    let call: { method: string; params: XmlRpcValue[] } | undefined;
    let parseError: string | undefined;
    if (!isUpload && body.length > 0) {
      try {
        call = decodeCall(body.toString('utf8'), { keepDoubles: true });
      } catch (err) {
        parseError = err instanceof XmlRpcParseError ? err.message : String(err);
      }
    }
    const fq = { target: 'hub' as const, method: isUpload ? 'rawUpload' : call?.method };
    const delay = this.faults.check('delay', fq);
    if (delay) await sleep(delay.ms);
    const resetBefore = this.faults.check('reset', fq);
    if (resetBefore && !resetBefore.after) return void req.socket.destroy();
    const errBefore = this.faults.check('httpError', fq);
    if (errBefore && !errBefore.after) return plain(errBefore.status ?? 503, `Service Unavailable (koji-sim fault)\n`);

    let xml: string;
    if (this.options.offline || this.faults.check('serverOffline', fq)) {
      xml = encodeFault(1014, 'server is offline');
    } else if (!isUpload && body.length === 0) {
      return plain(400, 'Invalid request: Empty request\n');
    } else if (!isUpload && !call) {
      return plain(400, `Invalid request: ${parseError ?? 'unparsable'}\n`);
    } else {
      const a = { headers: req.headers as Record<string, string | string[] | undefined>, query: u.searchParams };
      try {
        const value = isUpload ? await this.hub.upload(u.searchParams, body, a) : await this.hub.handle(call!.method, call!.params, a);
        xml = encodeResponse(value);
      } catch (err) {
        const f = err instanceof KojiFault ? err : pythonError('Exception', String(err));
        xml = encodeFault(f.faultCode, f.singleFaultString);
      }
    }
    if (resetBefore) return void req.socket.destroy();
    if (errBefore) return plain(errBefore.status ?? 503, `Service Unavailable (koji-sim fault)\n`);
    res.writeHead(200, { 'Koji-Version': KOJI_VERSION, 'Content-Length': Buffer.byteLength(xml), 'Content-Type': 'text/xml' });
    res.end(xml);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY) throw new Error('request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

