// Keystone v3 session against a loopback server speaking Keystone's shapes (recorded from the
// Debian Keystone 22 of the local stack): login bodies, catalogue look-up, renewal before
// expiry, and which failures are final.
import { afterEach, describe, expect, it } from 'vitest';
import {
  KeystoneSession,
  OpenStackAuthError,
  OpenStackCatalogError,
  OpenStackConnectionError,
  OpenStackHttpError,
  findEndpoint,
  type CatalogEntry,
  type KeystoneCredentials,
} from '../../../clients/openstack';
import { json, localServer, type LocalServer } from './local-server';

const PASSWORD: KeystoneCredentials = {
  method: 'password',
  username: 'fedimg',
  userDomain: 'default',
  projectName: 'images',
  projectDomain: 'Fedora',
  password: 's3cret',
};

const CATALOG: CatalogEntry[] = [
  {
    type: 'image',
    name: 'glance',
    endpoints: [
      { interface: 'public', region_id: 'RegionOne', url: 'https://glance.one.example/' },
      { interface: 'internal', region_id: 'RegionOne', url: 'http://glance.internal:9292' },
      { interface: 'public', region_id: 'RegionTwo', url: 'https://glance.two.example' },
    ],
  },
  { type: 'identity', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: 'https://keystone.example/v3' }] },
];

let server: LocalServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A Keystone that issues tokens `lifetimeMs` long, numbered tok-1, tok-2, … */
async function keystone(lifetimeMs = 3_600_000, clock = () => Date.now()) {
  let n = 0;
  server = await localServer((req, res) => {
    if (req.method === 'POST' && req.url === '/v3/auth/tokens') {
      n += 1;
      const issued = clock();
      json(
        res,
        201,
        {
          token: {
            issued_at: new Date(issued).toISOString(),
            expires_at: new Date(issued + lifetimeMs).toISOString(),
            catalog: CATALOG,
            project: { id: 'p1' },
          },
        },
        { 'x-subject-token': `tok-${n}` },
      );
      return;
    }
    json(res, 404, { error: { code: 404, message: 'not here', title: 'Not Found' } });
  });
  return server;
}

describe('KeystoneSession', () => {
  it('logs in with a project-scoped password, domain ids and names told apart', async () => {
    const s = await keystone();
    const session = new KeystoneSession({ authUrl: `${s.url}/v3`, credentials: PASSWORD });
    const token = await session.token();
    expect(token.value).toBe('tok-1');
    expect(token.projectId).toBe('p1');
    expect(JSON.parse(s.requests[0]!.body)).toEqual({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'fedimg', domain: { id: 'default' }, password: 's3cret' } },
        },
        scope: { project: { name: 'images', domain: { name: 'Fedora' } } },
      },
    });
  });

  it('logs in with an application credential and sends no scope (it carries its own)', async () => {
    const s = await keystone();
    // No /v3 in the URL: the session adds it.
    const session = new KeystoneSession({ authUrl: s.url, credentials: { method: 'application_credential', id: 'ac1', secret: 'x' } });
    await session.token();
    expect(s.requests[0]!.url).toBe('/v3/auth/tokens');
    expect(JSON.parse(s.requests[0]!.body)).toEqual({
      auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac1', secret: 'x' } } },
    });
  });

  it('reuses its token, shares one login among concurrent callers, and logs in again before expiry', async () => {
    let now = Date.parse('2026-11-22T00:00:00Z');
    const s = await keystone(3_600_000, () => now);
    const session = new KeystoneSession({ authUrl: `${s.url}/v3`, credentials: PASSWORD, renewBeforeMs: 600_000, now: () => now });
    const [a, b] = await Promise.all([session.token(), session.token()]);
    expect(a.value).toBe('tok-1');
    expect(b.value).toBe('tok-1');
    now += 49 * 60_000; // 11 minutes left
    expect((await session.token()).value).toBe('tok-1');
    now += 2 * 60_000; // 9 minutes left: inside the 10-minute margin
    expect((await session.token()).value).toBe('tok-2');
    expect(session.logins).toBe(2);
    expect(s.requests).toHaveLength(2);
  });

  it('caps the renewal margin at half a short-lived token', async () => {
    let now = 0;
    const s = await keystone(60_000, () => now);
    const session = new KeystoneSession({ authUrl: `${s.url}/v3`, credentials: PASSWORD, renewBeforeMs: 600_000, now: () => now });
    await session.token();
    now = 29_000;
    expect((await session.token()).value).toBe('tok-1');
    now = 31_000;
    expect((await session.token()).value).toBe('tok-2');
  });

  it('forgets a token a service refused', async () => {
    const s = await keystone();
    const session = new KeystoneSession({ authUrl: `${s.url}/v3`, credentials: PASSWORD });
    const first = await session.token();
    session.invalidate('some-other-token');
    expect((await session.token()).value).toBe(first.value);
    session.invalidate(first.value);
    expect((await session.token()).value).toBe('tok-2');
  });

  it('finds the image endpoint by region and interface, without a trailing slash', async () => {
    const s = await keystone();
    const session = new KeystoneSession({ authUrl: `${s.url}/v3`, credentials: PASSWORD });
    expect(await session.endpoint('image', { region: 'RegionOne', interface: 'public' })).toBe('https://glance.one.example');
    expect(await session.endpoint('image', { region: 'RegionOne', interface: 'internal' })).toBe('http://glance.internal:9292');
    expect(await session.endpoint('image', { region: 'RegionTwo', interface: 'public' })).toBe('https://glance.two.example');
  });

  it('says what the catalogue offers when the endpoint is missing', () => {
    expect(() => findEndpoint(CATALOG, 'image', { region: 'RegionTwo', interface: 'internal' })).toThrow(OpenStackCatalogError);
    expect(() => findEndpoint(CATALOG, 'image', { region: 'RegionTwo', interface: 'internal' })).toThrow(
      /no internal "image" endpoint in region RegionTwo \(offered: public@RegionOne, internal@RegionOne, public@RegionTwo\)/,
    );
    expect(() => findEndpoint(CATALOG, 'volumev3', { region: 'RegionOne', interface: 'public' })).toThrow(/no "volumev3" service/);
  });

  it('a refused password is a final OpenStackAuthError carrying Keystone\'s words', async () => {
    server = await localServer((_req, res) =>
      json(res, 401, { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } }),
    );
    const session = new KeystoneSession({ authUrl: `${server.url}/v3`, credentials: PASSWORD });
    const err = await session.token().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackAuthError);
    expect((err as OpenStackAuthError).retryable).toBe(false);
    expect((err as Error).message).toMatch(
      /refused the credentials of user "fedimg" \(domain default, project images\): HTTP 401 The request you have made requires authentication\./,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('a 503 is retryable, a refused connection too; a deadline becomes ETIMEDOUT', async () => {
    server = await localServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('Service Unavailable');
    });
    const err = await new KeystoneSession({ authUrl: server.url, credentials: PASSWORD }).token().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackHttpError);
    expect((err as OpenStackHttpError).retryable).toBe(true);
    expect((err as Error).message).toContain('HTTP 503 Service Unavailable');
    const url = server.url;
    await server.close();
    server = undefined;
    const refused = await new KeystoneSession({ authUrl: url, credentials: PASSWORD }).token().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenStackConnectionError);
    expect((refused as OpenStackConnectionError).code).toBe('ECONNREFUSED');

    server = await localServer(() => undefined); // never answers
    const slow = await new KeystoneSession({ authUrl: server.url, credentials: PASSWORD, timeoutMs: 200 }).token().catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(OpenStackConnectionError);
    expect((slow as OpenStackConnectionError).code).toBe('ETIMEDOUT');
  });

  it("the caller's abort comes back as the caller's reason, not as a connection error", async () => {
    server = await localServer(() => undefined);
    const ac = new AbortController();
    const p = new KeystoneSession({ authUrl: server.url, credentials: PASSWORD }).token(ac.signal);
    const reason = new Error('cancelled by the workflow');
    setTimeout(() => ac.abort(reason), 50);
    await expect(p).rejects.toBe(reason);
  });
});
