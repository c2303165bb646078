// Replays every recorded exchange of the client-side transcripts (01-09 and 11, in order, against
// one simulator) and compares each answer with the real hub's: status, headers that matter,
// decoded values (ids included: the simulator numbers tasks as the recorded hub did), fault codes
// and strings, file bytes. Only what necessarily differs is normalised: timestamps and mtimes
// (type and format still checked), session ids and keys (mapped), the order of unordered lists,
// and the source lines of multiCall tracebacks. Where nothing needed normalising, the body must
// match byte for byte. The builder side of 03/04/05 is the simulator's engine, driven step by
// step where the recording looked at a task mid-build; its files are the recorded builder's bytes.
import { createHash } from 'node:crypto';
import { rmSync, openSync, closeSync, writeSync, ftruncateSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XmlRpcDouble, decodeCall, decodeResponse, isStruct } from '../../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../../clients/koji/xmlrpc';
import { startKojiSim } from '../../../sim/koji';
import type { KojiSim } from '../../../sim/koji';
import { loadWire, tempDir } from './helpers';
import type { WireExchange } from './helpers';
import { recordedBuilderFiles, recordedHook } from './recorded-builder';

const FILES = [
  '01-login-session.json',
  '02-submit-image-tasks.json',
  '03-kiwi-completed-client.json',
  '04-oz-createimage-completed-client.json',
  '05-kiwi-failed-client.json',
  '06-cancel-free-task.json',
  '07-multicall-and-list-args.json',
  '08-i8-large-values.json',
  '09-missing-task.json',
  '11-http-and-protocol-errors.json',
];

const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$/;
const TS_KEYS = /(_ts|^st_atime|^st_mtime|^st_ctime|^mtime)$/;
const UNORDERED = new Set(['getTaskChildren', 'listTaskOutput']);

let sim: KojiSim;
let dataDir: string;
/** recorded session id -> simulator session id, and the same for keys */
const sids = new Map<string, string>();
const keys = new Map<string, string>();

/** What the recording's builder or operator did between two client exchanges. */
const steps: Record<string, Record<number, () => Promise<void> | void>> = {
  '03-kiwi-completed-client.json': {
    3: () => sim.advance(7, 'open'),
    6: () => sim.advance(7, 'done'),
  },
  '04-oz-createimage-completed-client.json': { 2: () => sim.advance(10, 'done') },
  '05-kiwi-failed-client.json': {
    1: () => sim.faults.set({ buildFailure: { next: 1, arch: 'x86_64' } }),
    2: async () => {
      await sim.advance(13, 'done');
      sim.faults.clear();
    },
  },
  '08-i8-large-values.json': {
    // The recording put a 3 GiB sparse file straight onto the hub's volume.
    4: () => {
      const dir = sim.taskDir(18);
      mkdirSync(dir, { recursive: true });
      const fd = openSync(join(dir, 'disk.raw'), 'w');
      ftruncateSync(fd, 3221229568);
      writeSync(fd, Buffer.from('SPARSE-HEAD\n'), 0, 12, 0);
      const end = Buffer.from('END-OF-SPARSE-DISK-IMAGE-MARKER\n');
      writeSync(fd, end, 0, end.length, 3221229568 - end.length);
      closeSync(fd);
    },
  },
};

beforeAll(async () => {
  dataDir = tempDir();
  sim = await startKojiSim({
    dataDir,
    autoRun: false,
    timing: { openMs: 0, childStartMs: 0, buildMs: 0, finishMs: 0 },
    users: [
      { name: 'alice', password: 'alicepw', perms: ['image', 'livecd', 'appliance'] },
      { name: 'bob', password: 'bobpw' },
    ],
    // The recorded fake builder delivered both formats for Cloud-Base-Generic.
    kiwiFormats: () => ['qcow2', 'raw.xz'],
    imageSizeBytes: 4 * 1024 * 1024,
    materialize: recordedHook(recordedBuilderFiles()),
  });
});

afterAll(async () => {
  await sim.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function mapSession(s: string): string {
  return sids.get(s) ?? s;
}

async function send(e: WireExchange): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const u = new URL(e.request.path, sim.url);
  for (const [k, map] of [
    ['session-id', sids],
    ['session-key', keys],
  ] as const) {
    const v = u.searchParams.get(k);
    if (v !== null) u.searchParams.set(k, map.get(v) ?? v);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.request.headers)) {
    if (k === 'Content-Length') continue;
    headers[k] = k === 'Koji-Session-Id' ? mapSession(v) : k === 'Koji-Session-Key' ? (keys.get(v) ?? v) : v;
  }
  let body: Buffer | undefined;
  if (e.request.body_base64 !== undefined && e.request.body_base64 !== '') body = Buffer.from(e.request.body_base64, 'base64');
  else if (e.request.body !== undefined && e.request.method === 'POST') body = Buffer.from(e.request.body, 'utf8');
  if (e.request.method === 'POST' && body === undefined) body = Buffer.alloc(0);
  const res = await fetch(u, { method: e.request.method, headers, body: body ? new Uint8Array(body) : undefined, redirect: 'manual' });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

interface Norm {
  changed: boolean;
}

function normalize(v: XmlRpcValue, key: string | undefined, n: Norm, expected: boolean): unknown {
  if (key !== undefined && TS_KEYS.test(key) && v instanceof XmlRpcDouble) {
    n.changed = true;
    return '<ts>';
  }
  if (key !== undefined && /_time$/.test(key) && typeof v === 'string' && TIME.test(v)) {
    n.changed = true;
    return '<time>';
  }
  if (key === 'session-key' && typeof v === 'string' && /^\d+-[A-Za-z0-9]{19}$/.test(v)) {
    n.changed = true;
    return '<key>';
  }
  if (key === 'session-id' && typeof v === 'number') {
    n.changed = true;
    return '<sid>';
  }
  if (key === 'traceback' && Array.isArray(v)) {
    n.changed = true;
    // Keep the shape: Python's first line, and the exception line for a plain exception.
    return [v[0], v.length > 1 ? 'frames' : null];
  }
  if (typeof v === 'string' && expected) {
    const s = v.replace(/\(session (\d+)\)$/, (_m, id: string) => `(session ${mapSession(id)})`).replace(/for session (\d+)$/, (_m, id: string) => `for session ${mapSession(id)}`);
    if (s !== v) n.changed = true;
    return s;
  }
  if (Array.isArray(v)) return v.map((x) => normalize(x, undefined, n, expected));
  if (isStruct(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x, k, n, expected)]));
  return v;
}

function sortUnordered(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  if (v.every((x) => typeof x === 'string')) return [...v].sort();
  if (v.every((x) => x !== null && typeof x === 'object' && 'id' in (x as object))) return [...v].sort((a, b) => (a as { id: number }).id - (b as { id: number }).id);
  return v;
}

function compareXml(e: WireExchange, body: Buffer): void {
  const recorded = e.response.body!;
  const ours = body.toString('utf8');
  const method = e.request.body?.startsWith('<?xml') ? decodeCall(e.request.body).method : '';
  const exp = decodeResponse(recorded, { keepDoubles: true });
  const got = decodeResponse(ours, { keepDoubles: true });
  const n: Norm = { changed: false };
  if ('fault' in exp) {
    expect('fault' in got ? got.fault : got.value, `fault expected, got ${ours}`).toEqual(normalize(exp.fault, undefined, n, true));
    return;
  }
  expect('value' in got, `value expected, got fault ${ours}`).toBe(true);
  if (!('value' in got)) return;
  let want = normalize(exp.value, undefined, n, true);
  let have = normalize(got.value, undefined, { changed: false }, false);
  if (UNORDERED.has(method)) {
    want = sortUnordered(want);
    have = sortUnordered(have);
    n.changed = true;
  }
  expect(have).toEqual(want);
  // Nothing needed normalising: then the bytes must be Python's bytes.
  if (!n.changed && !recorded.includes('<dateTime.iso8601>')) expect(ours).toBe(recorded);
}

function compareFiles(e: WireExchange, res: { headers: Headers; body: Buffer }): void {
  const rh = e.response.headers;
  for (const h of ['Content-Length', 'Content-Range', 'Content-Type', 'Accept-Ranges']) {
    if (rh[h] !== undefined) expect(res.headers.get(h), h).toBe(rh[h]);
  }
  if (rh.ETag) {
    const size = /^"([0-9a-f]+)-/.exec(rh.ETag)![1];
    expect(res.headers.get('ETag')).toMatch(new RegExp(`^"${size}-[0-9a-f]+"$`));
  }
  if (rh['Last-Modified']) expect(Number.isNaN(Date.parse(res.headers.get('Last-Modified') ?? ''))).toBe(false);
  if (e.request.method === 'HEAD') {
    expect(res.body.length).toBe(0);
  } else if (e.response.body_sha256 !== undefined) {
    expect(res.body.length).toBe(e.response.body_length);
    expect(createHash('sha256').update(res.body).digest('hex')).toBe(e.response.body_sha256);
  } else if (e.response.body !== undefined) {
    expect(res.body.toString('utf8')).toBe(e.response.body);
  }
}

for (const file of FILES) {
  describe(file, () => {
    const doc = loadWire(file);
    doc.exchanges.forEach((e, i) => {
      it(`#${i} ${e.label.slice(0, 110)}`, async () => {
        await steps[file]?.[i]?.();
        const res = await send(e);
        expect(res.status).toBe(e.response.status);
        const isHub = e.request.path.startsWith('/kojihub');
        if (isHub) {
          expect(res.headers.get('Koji-Version')).toBe('1.35.3');
          expect(res.headers.get('Content-Type')).toBe(e.response.headers['Content-Type']);
          if (e.response.headers.Allow) expect(res.headers.get('Allow')).toBe(e.response.headers.Allow);
        }
        const recorded = e.response.body;
        if (isHub && recorded?.startsWith('<?xml')) {
          compareXml(e, res.body);
          // Learn the session the simulator handed out in place of the recorded one.
          const exp = decodeResponse(recorded);
          const got = decodeResponse(res.body.toString('utf8'));
          if ('value' in exp && 'value' in got && isStruct(exp.value) && isStruct(got.value) && 'session-id' in exp.value) {
            sids.set(String(exp.value['session-id']), String(got.value['session-id']));
            keys.set(String(exp.value['session-key']), String(got.value['session-key']));
          }
        } else if (isHub) {
          const text = res.body.toString('utf8');
          if (recorded?.startsWith('Invalid request: ') && recorded !== 'Invalid request: Empty request\n') {
            // expat's wording is Python's own; the simulator reports its parser's.
            expect(text).toMatch(/^Invalid request: .+\n$/);
          } else {
            expect(text).toBe(recorded ?? '');
          }
        } else {
          compareFiles(e, res);
        }
      });
    });
  });
}

describe('10-server-offline.json (hub.conf ServerOffline = True)', () => {
  it('answers every call with fault 1014 and GET with 405, as recorded', async () => {
    const dir = tempDir();
    const off = await startKojiSim({ dataDir: dir, offline: true, users: [{ name: 'alice', password: 'alicepw', perms: ['image'] }] });
    try {
      for (const e of loadWire('10-server-offline.json').exchanges) {
        const headers: Record<string, string> = { ...e.request.headers };
        delete headers['Content-Length'];
        const res = await fetch(new URL(e.request.path, off.url), {
          method: e.request.method,
          headers,
          body: e.request.method === 'POST' ? new Uint8Array(Buffer.from(e.request.body ?? '')) : undefined,
        });
        const text = await res.text();
        expect(res.status).toBe(e.response.status);
        expect(res.headers.get('Koji-Version')).toBe('1.35.3');
        expect(text).toBe(e.response.body);
      }
    } finally {
      await off.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
