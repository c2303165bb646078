// The client's session, retry and failure rules, against a fake hub on 127.0.0.1 answering with
// recorded bodies (and, where Koji's answer is not recorded, bodies written with the codec).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  KojiActionNotAllowed,
  KojiAuthExpired,
  KojiClient,
  KojiNoSuchTarget,
  KojiProtocolError,
  KojiServerOffline,
  KojiTransportError,
  TaskState,
  isRetryableKojiError,
  kiwiBuildTaskRequest,
} from '../../../clients/koji';
import type { KiwiBuildArgs, RetryEvent } from '../../../clients/koji';
import { decodeCall, decodeResponse, encodeFault, encodeResponse } from '../../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../../clients/koji/xmlrpc';
import { recorded, startHttpsHub, startHub, xmlReply } from './hub-server';
import type { FakeHub, Reply } from './hub-server';
import { exchange } from './wire';

const LOGIN = recorded(exchange('01-login-session.json', "login('alice', 'alicepw') via"));
const USER = recorded(exchange('01-login-session.json', 'getLoggedInUser() (first call after login'));
const OFFLINE = recorded(exchange('10-server-offline.json', 'getLoggedInUser() with a valid session'));
const OFFLINE_LOGIN = recorded(exchange('10-server-offline.json', "login('alice', 'alicepw', opts=None) while offline"));
const BOB_DENIED = recorded(exchange('02-submit-image-tasks.json', "kiwiBuild(...) as bob (no 'image' permission)"));
const NO_TARGET = recorded(exchange('02-submit-image-tasks.json', "kiwiBuild('no-such-target'"));
const KIWI_ARGS: KiwiBuildArgs = {
  target: 'f-target',
  arches: ['x86_64', 'aarch64'],
  descUrl: 'git+https://pagure.io/fedora-kiwi-descriptions.git?#3f5d2c9a8b7e6d1f0a4c3b2e9d8f7a6b5c4d3e2f',
  descPath: 'teams/cloud/cloud.kiwi',
  profile: 'Cloud-Base-Generic',
  release: '20261122.n.0',
  scratch: true,
};

let hub: FakeHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

function client(extra: Partial<ConstructorParameters<typeof KojiClient>[0]> = {}, events?: RetryEvent[]): KojiClient {
  return new KojiClient({
    hubUrl: `${hub!.url}/kojihub`,
    auth: { method: 'password', user: 'alice', password: 'alicepw' },
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    ...(events ? { onRetry: (e) => events.push(e) } : {}),
    ...extra,
  });
}

const methodOf = (body: string) => decodeCall(body).method;
const callnums = (h: FakeHub) => h.requests.map((r) => r.headers['koji-session-callnum'] ?? '-');

describe('sessions', () => {
  it('logs in by itself before the first call, then stamps id, key and a rising callnum (both header names)', async () => {
    hub = await startHub([LOGIN, USER, USER, USER]);
    const c = client();
    expect(c.loggedIn).toBe(false);
    const me = await c.getLoggedInUser();
    expect(me).toMatchObject({ id: 3, name: 'alice' });
    await c.getLoggedInUser();
    await c.getLoggedInUser();
    expect(hub.requests.map((r) => methodOf(r.body))).toEqual(['login', 'getLoggedInUser', 'getLoggedInUser', 'getLoggedInUser']);
    const [login, ...calls] = hub.requests;
    expect(Object.keys(login!.headers).filter((h) => h.startsWith('koji-'))).toEqual([]);
    calls.forEach((r, i) => {
      expect(r.headers['koji-session-id']).toBe('2');
      expect(r.headers['koji-session-key']).toBe('3-J7Xh4g1wl1xSoD8DZUS');
      expect(r.headers['koji-session-callnum']).toBe(String(i));
      expect(r.headers['koji-callnum']).toBe(String(i));
    });
  });

  it('calls made concurrently go out one at a time, in order, with consecutive callnums', async () => {
    hub = await startHub([LOGIN, USER, USER, USER, USER]);
    const c = client();
    await Promise.all([c.getLoggedInUser(), c.getLoggedInUser(), c.getLoggedInUser(), c.getLoggedInUser()]);
    expect(callnums(hub)).toEqual(['-', '0', '1', '2', '3']);
  });

  it('AuthExpired: logs in again and repeats the call once, with the new session from callnum 0', async () => {
    const relogin = xmlReply(encodeResponse({ 'session-id': 9, 'session-key': '9-newkey', 'header-auth': true }));
    const expired = xmlReply(encodeFault(1007, 'session "2" has expired'));
    hub = await startHub([LOGIN, USER, expired, relogin, USER]);
    const c = client();
    await c.getLoggedInUser();
    const me = await c.getLoggedInUser();
    expect(me?.name).toBe('alice');
    expect(hub.requests.map((r) => methodOf(r.body))).toEqual(['login', 'getLoggedInUser', 'getLoggedInUser', 'login', 'getLoggedInUser']);
    expect(hub.requests[2]!.headers['koji-session-callnum']).toBe('1');
    expect(hub.requests[3]!.headers['koji-session-id']).toBeUndefined();
    expect(hub.requests[4]!.headers['koji-session-id']).toBe('9');
    expect(hub.requests[4]!.headers['koji-session-key']).toBe('9-newkey');
    expect(hub.requests[4]!.headers['koji-session-callnum']).toBe('0');
    expect(hub.requests[4]!.body).toBe(hub.requests[2]!.body);
  });

  it('AuthExpired twice in a row is thrown (one re-login only)', async () => {
    const expired = xmlReply(encodeFault(1007, 'session expired'));
    hub = await startHub([LOGIN, expired, LOGIN, expired]);
    await expect(client().getLoggedInUser()).rejects.toBeInstanceOf(KojiAuthExpired);
    expect(hub.requests).toHaveLength(4);
  });

  it('logout sends logout(session_id=None) and forgets the session', async () => {
    const logoutEx = exchange('01-login-session.json', 'logout()');
    hub = await startHub([LOGIN, recorded(logoutEx)]);
    const c = client();
    await c.login();
    await c.logout();
    expect(c.loggedIn).toBe(false);
    expect(hub.requests[1]!.body).toBe(logoutEx.request.body);
    expect(hub.requests[1]!.headers['koji-session-callnum']).toBe('0');
  });

  it('a wrong password is a final KojiAuthError', async () => {
    hub = await startHub([recorded(exchange('01-login-session.json', "login('alice', 'wrongpw'"))]);
    const err = await client().login().catch((e: unknown) => e);
    expect((err as Error).name).toBe('KojiAuthError');
    expect(isRetryableKojiError(err)).toBe(false);
    expect(hub.requests).toHaveLength(1);
  });
});

describe('transient failures are retried, with the same callnum', () => {
  it('ServerOffline (recorded 1014) twice, then the answer', async () => {
    const events: RetryEvent[] = [];
    hub = await startHub([LOGIN, OFFLINE, OFFLINE, USER]);
    const me = await client({}, events).getLoggedInUser();
    expect(me?.name).toBe('alice');
    expect(callnums(hub)).toEqual(['-', '0', '0', '0']);
    expect(events.map((e) => [e.method, e.attempt, e.error.name])).toEqual([
      ['getLoggedInUser', 1, 'KojiServerOffline'],
      ['getLoggedInUser', 2, 'KojiServerOffline'],
    ]);
  });

  it('ServerOffline during login is retried too', async () => {
    hub = await startHub([OFFLINE_LOGIN, LOGIN, USER]);
    await client().getLoggedInUser();
    expect(hub.requests.map((r) => methodOf(r.body))).toEqual(['login', 'login', 'getLoggedInUser']);
  });

  it('gives up after the configured attempts with KojiServerOffline (retryable for the outer layer)', async () => {
    hub = await startHub([LOGIN, OFFLINE, OFFLINE, OFFLINE]);
    const err = await client().getLoggedInUser().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KojiServerOffline);
    expect((err as KojiServerOffline).faultString).toBe('server is offline');
    expect(isRetryableKojiError(err)).toBe(true);
    expect(hub.requests).toHaveLength(4);
  });

  it('HTTP 503, then the answer', async () => {
    const events: RetryEvent[] = [];
    hub = await startHub([LOGIN, { status: 503, body: 'Service Unavailable' }, USER]);
    await client({}, events).getLoggedInUser();
    expect(events).toHaveLength(1);
    expect(events[0]!.error).toBeInstanceOf(KojiTransportError);
    expect((events[0]!.error as KojiTransportError).status).toBe(503);
    expect(callnums(hub)).toEqual(['-', '0', '0']);
  });

  it('a reset connection, then the answer', async () => {
    const events: RetryEvent[] = [];
    hub = await startHub([LOGIN, 'reset', USER]);
    await client({}, events).getLoggedInUser();
    expect(events).toHaveLength(1);
    expect(events[0]!.error).toBeInstanceOf(KojiTransportError);
    expect((events[0]!.error as KojiTransportError).code).toMatch(/ECONNRESET|EPIPE|socket hang up/);
    expect(hub.requests).toHaveLength(3);
  });

  it('no answer within timeoutMs, then the answer', async () => {
    const events: RetryEvent[] = [];
    hub = await startHub([LOGIN, 'hang', USER]);
    await client({ timeoutMs: 300 }, events).getLoggedInUser();
    expect(events).toHaveLength(1);
    expect((events[0]!.error as KojiTransportError).code).toBe('ETIMEDOUT');
  });

  it('a refused connection is a transport error', async () => {
    hub = await startHub([]);
    const url = hub.url;
    await hub.close();
    hub = undefined;
    const c = new KojiClient({ hubUrl: `${url}/kojihub`, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    const err = await c.taskFinished(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KojiTransportError);
    expect((err as KojiTransportError).code).toBe('ECONNREFUSED');
  });
});

describe('fetch transport', () => {
  it('works the same through an injected fetch: headers, retry on 503 and on a reset', async () => {
    const events: RetryEvent[] = [];
    hub = await startHub([LOGIN, { status: 503, body: 'busy' }, 'reset', USER]);
    const me = await client({ fetch: globalThis.fetch }, events).getLoggedInUser();
    expect(me?.name).toBe('alice');
    expect(events.map((e) => e.error.name)).toEqual(['KojiTransportError', 'KojiTransportError']);
    expect(callnums(hub)).toEqual(['-', '0', '0', '0']);
    expect(hub.requests[3]!.headers['koji-callnum']).toBe('0');
    expect(hub.requests[3]!.headers['content-type']).toBe('text/xml');
  });
});

describe('final answers are not retried', () => {
  it('ActionNotAllowed keeps the hub message', async () => {
    hub = await startHub([LOGIN, BOB_DENIED]);
    const err = await client().kiwiBuild(KIWI_ARGS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KojiActionNotAllowed);
    expect((err as Error).message).toContain('image permission required (logged in as bob)');
    expect(isRetryableKojiError(err)).toBe(false);
    expect(hub.requests).toHaveLength(2);
  });

  it('No such build target', async () => {
    hub = await startHub([LOGIN, NO_TARGET]);
    const err = await client().kiwiBuild({ ...KIWI_ARGS, target: 'no-such-target' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KojiNoSuchTarget);
    expect((err as KojiNoSuchTarget).name).toBe('KojiNoSuchTarget');
    expect((err as KojiNoSuchTarget).target).toBe('no-such-target');
    expect((err as Error).message).toContain('No such build target: no-such-target');
    expect(hub.requests).toHaveLength(2);
  });

  it.each([
    ['405 (recorded)', recorded(exchange('11-http-and-protocol-errors.json', 'GET /kojihub -> 405')), 405],
    ['400 (recorded)', recorded(exchange('11-http-and-protocol-errors.json', 'POST with malformed XML')), 400],
    ['200 with HTML', { status: 200, headers: { 'Content-Type': 'text/html' }, body: '<html><body>proxy error</body></html>' } as Reply, 200],
  ])('%s is a KojiProtocolError', async (_n, reply, status) => {
    hub = await startHub([reply]);
    const c = new KojiClient({ hubUrl: `${hub.url}/kojihub`, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    const err = await c.taskFinished(7).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KojiProtocolError);
    expect((err as KojiProtocolError).status).toBe(status);
    expect(hub.requests).toHaveLength(1);
  });

  it('an aborted signal stops the call and its retries', async () => {
    hub = await startHub([LOGIN, 'hang']);
    const ac = new AbortController();
    const p = client().getLoggedInUser({ signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop')), 100);
    await expect(p).rejects.toThrow('stop');
    expect(hub.requests).toHaveLength(2);
  });
});

describe('findExistingTask', () => {
  const stored = exchange('03-kiwi-completed-client.json', 'getTaskInfo(7, request=True) after completion');
  const storedInfo = (decodeResponse(stored.response.body!) as { value: Record<string, XmlRpcValue> }).value;
  const summary: Record<string, XmlRpcValue> = { ...storedInfo };
  delete summary.request;

  it('lists this user\'s live or closed tasks of the method and compares the stored requests', async () => {
    hub = await startHub([LOGIN, USER, xmlReply(encodeResponse([summary])), xmlReply(encodeResponse([storedInfo]))]);
    const c = client();
    const found = await c.findExistingTask(kiwiBuildTaskRequest(KIWI_ARGS));
    expect(found?.id).toBe(7);
    const [, , list, infos] = hub.requests;
    expect(decodeCall(list!.body)).toEqual({
      method: 'listTasks',
      params: [{ method: 'kiwiBuild', owner: 3, state: [TaskState.FREE, TaskState.OPEN, TaskState.ASSIGNED, TaskState.CLOSED] }, { order: '-id', limit: 50 }],
    });
    expect(decodeCall(infos!.body)).toEqual({ method: 'getTaskInfo', params: [[7], { request: true, __starstar: true }] });
  });

  it('a task with another request is not adopted', async () => {
    hub = await startHub([LOGIN, USER, xmlReply(encodeResponse([summary])), xmlReply(encodeResponse([storedInfo]))]);
    expect(await client().findExistingTask(kiwiBuildTaskRequest({ ...KIWI_ARGS, release: '20261122.n.1' }))).toBeNull();
  });

  it('no candidates: one listTasks call, null', async () => {
    hub = await startHub([LOGIN, xmlReply(encodeResponse([]))]);
    expect(await client().findExistingTask({ ...kiwiBuildTaskRequest(KIWI_ARGS), owner: 3 })).toBeNull();
    expect(hub.requests).toHaveLength(2);
  });
});

const haveOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!haveOpenssl)('certificate login', () => {
  it('calls sslLogin at <hub>/ssllogin over https with the client certificate, then uses the session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'koji-tls-'));
    try {
      const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
      ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
      for (const [name, subj] of [
        ['server', '/CN=127.0.0.1'],
        ['client', '/CN=alice'],
      ] as const) {
        ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
        writeFileSync(join(dir, `${name}.ext`), name === 'server' ? 'subjectAltName=IP:127.0.0.1\n' : 'extendedKeyUsage=clientAuth\n');
        ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
      }
      const read = (f: string) => readFileSync(join(dir, f));
      hub = await startHttpsHub({ cert: read('server.pem'), key: read('server.key'), ca: read('ca.pem') }, (req) => {
        if (req.url === '/kojihub/ssllogin') {
          if (req.peerCN !== 'alice') return { status: 403, body: 'no client certificate' };
          return xmlReply(encodeResponse({ 'session-id': 21, 'session-key': '21-cert', 'header-auth': true }));
        }
        return USER;
      });
      const c = new KojiClient({
        hubUrl: `${hub.url}/kojihub`,
        auth: { method: 'certificate', certFile: join(dir, 'client.pem'), keyFile: join(dir, 'client.key'), caFile: join(dir, 'ca.pem') },
        retry: { attempts: 1 },
      });
      await c.getLoggedInUser();
      expect(hub.requests.map((r) => [r.url, methodOf(r.body), r.peerCN])).toEqual([
        ['/kojihub/ssllogin', 'sslLogin', 'alice'],
        ['/kojihub', 'getLoggedInUser', 'alice'],
      ]);
      expect(hub.requests[1]!.headers['koji-session-id']).toBe('21');
      expect(hub.requests[1]!.headers['koji-session-callnum']).toBe('0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses certificate auth over plain http', () => {
    expect(() => new KojiClient({ hubUrl: 'http://koji.example/kojihub', auth: { method: 'certificate', certFile: 'c', keyFile: 'k' } })).toThrow(/https/);
  });
});
