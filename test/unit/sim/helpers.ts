// Shared by the simulator tests: the recorded wire transcripts, a minimal XML-RPC caller, and a
// temporary data directory per simulator.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeResponse, encodeCall } from '../../../clients/koji/xmlrpc';
import type { DecodedResponse, XmlRpcValue } from '../../../clients/koji/xmlrpc';
import { startKojiSim, type KojiSim } from '../../../sim/koji';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The repository's copy of reference/koji-wire (falls back to the shared reference). */
export const WIRE_DIR = [join(REPO, 'test/fixtures/koji-wire'), join(REPO, 'test/fixtures'), '/work/shared/reference/koji-wire'].find((d) =>
  existsSync(join(d, '01-login-session.json')),
)!;

export interface WireHalf {
  method?: string;
  path?: string;
  status?: number;
  headers: Record<string, string>;
  body?: string;
  body_base64?: string;
  body_sha256?: string;
  body_length?: number;
  body_omitted?: boolean;
}

export interface WireExchange {
  label: string;
  actor: string | null;
  sent_by: string;
  request: WireHalf & { method: string; path: string };
  response: WireHalf & { status: number };
}

export interface WireFile {
  scenario: string;
  notes: string[];
  exchanges: WireExchange[];
}

export function loadWire(file: string): WireFile {
  return JSON.parse(readFileSync(join(WIRE_DIR, file), 'utf8')) as WireFile;
}

export function tempDir(prefix = 'koji-sim-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Session {
  id: number;
  key: string;
  callnum: number;
}

/** One XML-RPC call as koji.ClientSession would make it (session headers, callnum +1). */
export async function call(hubUrl: string, method: string, params: XmlRpcValue[] = [], session?: Session): Promise<DecodedResponse> {
  const headers: Record<string, string> = { 'Content-Type': 'text/xml', 'User-Agent': 'koji/1' };
  if (session) {
    headers['Koji-Session-Id'] = String(session.id);
    headers['Koji-Session-Key'] = session.key;
    headers['Koji-Session-Callnum'] = String(session.callnum++);
  }
  const res = await fetch(hubUrl, { method: 'POST', headers, body: encodeCall(method, params) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text}`);
  return decodeResponse(text, { keepDoubles: true });
}

/** The value of a successful call (a fault throws). */
export async function value(hubUrl: string, method: string, params: XmlRpcValue[] = [], session?: Session): Promise<XmlRpcValue> {
  const r = await call(hubUrl, method, params, session);
  if ('fault' in r) throw new Error(`${method}: fault ${r.fault.faultCode} ${r.fault.faultString}`);
  return r.value;
}

export async function login(hubUrl: string, user: string, password: string): Promise<Session> {
  const v = (await value(hubUrl, 'login', [user, password, { opts: null, __starstar: true }])) as Record<string, XmlRpcValue>;
  return { id: v['session-id'] as number, key: v['session-key'] as string, callnum: 0 };
}

/** A simulator with user fedimg (password pw, every image permission) and quick timings, logged in. */
export async function startLoggedInSim(o: { imageSizeBytes: number; finishMs: number }): Promise<{ sim: KojiSim; dir: string; session: Session }> {
  const dir = tempDir();
  const sim = await startKojiSim({
    dataDir: dir,
    users: [{ name: 'fedimg', password: 'pw', perms: ['image', 'livecd', 'appliance'] }],
    imageSizeBytes: o.imageSizeBytes,
    timing: { openMs: 5, childStartMs: 5, buildMs: 20, finishMs: o.finishMs },
  });
  return { sim, dir, session: await login(sim.hubUrl, 'fedimg', 'pw') };
}
