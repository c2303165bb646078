// Keystone and Glance from Debian (python3-keystone 22, python3-glance 25), run on loopback with
// SQLite and a file store, from the configuration that worked here
// (shared/reference/openstack/): Keystone on 127.0.0.1:15000, Glance on 127.0.0.1:19292 with
// real token checks against that Keystone. Both run with Debian's /usr/bin/python3.
//
// Two services, because they are two processes with their own PID and log; stack:up starts
// services side by side, so Glance's start() waits for Keystone before it registers itself in
// Keystone's catalogue (and only returns then).
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { probeHttp, probeTcp } from '../../../clients/net/probe';
import type { Config } from '../../../config';
import { ensureDebianPackages } from '../debian';
import { STACK_DIR } from '../paths';
import { isAlive, recordedPid, sleep, startDetached, stopRecorded, waitUntil } from '../process';
import type { StackService } from '../service';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

export const OPENSTACK_DIR = join(STACK_DIR, 'openstack');
export const OPENSTACK_PASSWORD_FILE = join(STACK_DIR, 'secrets', 'openstack-password');
/** Where Glance listens unless the settings' `openstack.imageEndpoint` names another loopback port. */
export const GLANCE_URL = 'http://127.0.0.1:19292';
/** Generous: the answer of a healthy service may wait behind other services' blocking checks. */
const PROBE_TIMEOUT_MS = 10_000;
const KEYSTONE_CONF = join(OPENSTACK_DIR, 'keystone.conf');
const GLANCE_CONF = join(OPENSTACK_DIR, 'glance-api.conf');
const GLANCE_PASTE = join(OPENSTACK_DIR, 'glance-api-paste.ini');
/** Holds a hash of the password Keystone was bootstrapped with: a new password re-bootstraps. */
const KEYSTONE_MARKER = join(OPENSTACK_DIR, 'keystone.bootstrapped');
const GLANCE_MARKER = join(OPENSTACK_DIR, 'glance.db-synced');

const PACKAGES = { 'keystone-manage': 'python3-keystone', 'keystone-wsgi-public': 'python3-keystone' };
/** python3-glance ships no command: its module file stands for it. */
const GLANCE_MODULE = '/usr/lib/python3/dist-packages/glance/cmd/api.py';

/** Keystone's and Glance's stack services, in start order (Keystone first). */
export function openstackServices(config: Config): StackService[] {
  return [keystoneService(config), glanceService(config)];
}

export function keystoneService(config: Config): StackService {
  const { host, port, base } = keystoneAddress(config);
  return {
    name: 'keystone',
    address: base,
    startTimeoutS: 120,
    async ensureInstalled(log) {
      ensureDebianPackages(PACKAGES, log);
    },
    async start() {
      if (await alreadyRunning('keystone', host, port)) return;
      const password = ensurePassword();
      renderConfigs(base, password, glanceAddress(config).port);
      await initialiseKeystone(base, password);
      if (await alreadyRunning('keystone', host, port)) return;
      startDetached('keystone', 'keystone-wsgi-public', ['--host', host, '--port', String(port), '--', '--config-file', KEYSTONE_CONF]);
    },
    healthy: () => keystoneHealthy(base),
    stop: () => stopRecorded('keystone'),
  };
}

export function glanceService(config: Config): StackService {
  const { base: keystone } = keystoneAddress(config);
  const region = config.openstack.region;
  const glance = glanceAddress(config);
  const url = glance.url;
  return {
    name: 'glance',
    address: url,
    startTimeoutS: 120,
    async ensureInstalled(log) {
      ensureDebianPackages(PACKAGES, log);
      // ensureDebianPackages looks the key up with `command -v`: a missing file counts as missing.
      if (!existsSync(GLANCE_MODULE)) ensureDebianPackages({ [GLANCE_MODULE]: 'python3-glance' }, log);
    },
    async start() {
      const password = ensurePassword();
      // Running already, but perhaps never registered (an earlier start met a Keystone too slow
      // to answer): the registration below runs either way, and adds nothing when it is there.
      if (!(await alreadyRunning('glance', glance.host, glance.port))) {
        renderConfigs(keystone, password, glance.port);
        if (!existsSync(GLANCE_MARKER)) {
          await run(PYTHON, ['-m', 'glance.cmd.manage', '--config-file', GLANCE_CONF, 'db_sync'], { timeout: 300_000 });
          writeFileSync(GLANCE_MARKER, `${new Date().toISOString()}\n`);
        }
        // Looked again: another stack:up may have started it meanwhile.
        if (!(await alreadyRunning('glance', glance.host, glance.port))) {
          // Glance needs Keystone only to check tokens, so it boots (~10 s of imports) while
          // Keystone does; start() returns once the catalogue lists it, before the health wait.
          startDetached('glance', PYTHON, ['-m', 'glance.cmd.api', '--config-file', GLANCE_CONF]);
        }
      }
      if (!(await waitUntil(() => keystoneHealthy(keystone), 120_000))) {
        throw new Error(`Keystone at ${keystone} is not answering, so Glance cannot be registered in its catalogue`);
      }
      await registerImageEndpoint(keystone, password, region, url);
    },
    async healthy() {
      // oslo's healthcheck middleware sits before the token check in the paste pipeline.
      if (!(await probeHttp(`${url}/healthcheck`, { timeoutMs: PROBE_TIMEOUT_MS, expectOk: true })).ok) return false;
      // Healthy only once Keystone's catalogue lists it: clients find Glance there, and an
      // unregistered Glance failed every publish with OpenStackCatalogMissing while stack:up
      // reported it "reused".
      return imageServiceListed(keystone, ensurePassword()).catch(() => false);
    },
    stop: () => stopRecorded('glance'),
  };
}

/**
 * Glance's listen address: the configured image endpoint when it is on loopback (a second stack,
 * such as the chaos run's, sets it to its own port), else the default 127.0.0.1:19292.
 */
function glanceAddress(config: Config): { host: string; port: number; url: string } {
  const configured = config.openstack.imageEndpoint ? new URL(config.openstack.imageEndpoint) : undefined;
  const u = configured && configured.hostname === '127.0.0.1' && configured.port !== '' ? configured : new URL(GLANCE_URL);
  return { host: u.hostname, port: Number(u.port), url: `${u.protocol}//${u.host}` };
}

function keystoneAddress(config: Config): { host: string; port: number; base: string } {
  const url = new URL(config.openstack.authUrl);
  return { host: url.hostname, port: Number(url.port || 80), base: `${url.protocol}//${url.host}` };
}

async function keystoneHealthy(base: string): Promise<boolean> {
  return (await probeHttp(`${base}/v3`, { timeoutMs: PROBE_TIMEOUT_MS, expectOk: true })).ok;
}

/**
 * Never a second instance. stack:up runs other services' synchronous health commands on the same
 * event loop, so a probe can time out while the answer sits unread, and a healthy service looks
 * down. A second Glance would even start (it binds with SO_REUSEPORT) and share the port; a
 * second Keystone dies with EADDRINUSE. So: a live recorded process, or anything answering on the
 * port, means "running"; stack:up then just waits for the health check.
 */
async function alreadyRunning(name: string, host: string, port: number): Promise<boolean> {
  return isAlive(recordedPid(name)) || (await probeTcp(host, port, 1000)).ok;
}

/** The bootstrap password: generated once, 0600, read by the settings (openstack.auth.password). */
export function ensurePassword(): string {
  if (existsSync(OPENSTACK_PASSWORD_FILE)) {
    const existing = readFileSync(OPENSTACK_PASSWORD_FILE, 'utf8').trim();
    if (existing !== '') return existing;
  }
  mkdirSync(join(STACK_DIR, 'secrets'), { recursive: true, mode: 0o700 });
  const password = randomBytes(18).toString('base64url');
  writeFileSync(OPENSTACK_PASSWORD_FILE, `${password}\n`, { mode: 0o600 });
  chmodSync(OPENSTACK_PASSWORD_FILE, 0o600);
  return password;
}

function renderConfigs(keystone: string, password: string, glancePort: number): void {
  for (const d of ['fernet', 'cred', 'images', 'staging', 'tasks']) mkdirSync(join(OPENSTACK_DIR, d), { recursive: true });
  const fill = (t: string) => t.replaceAll('@STATE@', OPENSTACK_DIR).replaceAll('@KEYSTONE@', keystone).replaceAll('@GLANCE_PORT@', String(glancePort));
  writeFileSync(KEYSTONE_CONF, fill(KEYSTONE_CONF_TEMPLATE));
  writeFileSync(GLANCE_PASTE, fill(GLANCE_PASTE_TEMPLATE));
  // Glance's own token checks log in as admin: the file carries the password, so 0600.
  writeFileSync(GLANCE_CONF, fill(GLANCE_CONF_TEMPLATE).replace('@PASSWORD@', password), { mode: 0o600 });
  chmodSync(GLANCE_CONF, 0o600);
}

/** db_sync, key repositories and bootstrap, once per state folder and password. */
async function initialiseKeystone(base: string, password: string): Promise<void> {
  const stamp = createHash('sha256').update(`${base}\n${password}`).digest('hex');
  if (existsSync(KEYSTONE_MARKER) && readFileSync(KEYSTONE_MARKER, 'utf8').trim() === stamp) return;
  const manage = (...args: string[]) =>
    run('keystone-manage', ['--config-file', KEYSTONE_CONF, ...args], { timeout: 300_000, env: { ...process.env, OS_BOOTSTRAP_PASSWORD: password } });
  const { username } = userInfo();
  const group = (await run('id', ['-gn'])).stdout.trim();
  await manage('db_sync');
  await manage('fernet_setup', '--keystone-user', username, '--keystone-group', group);
  await manage('credential_setup', '--keystone-user', username, '--keystone-group', group);
  // bootstrap is idempotent, and resets the admin password to the one given. The password goes
  // by environment, not argument: an argument shows in `ps` and in the error text of a failed
  // command, and a generated password starting with '-' was taken by argparse for an option.
  await manage('bootstrap', '--bootstrap-admin-url', `${base}/v3`,
    '--bootstrap-public-url', `${base}/v3`, '--bootstrap-internal-url', `${base}/v3`, '--bootstrap-region-id', 'RegionOne');
  writeFileSync(KEYSTONE_MARKER, `${stamp}\n`);
}

/**
 * Registers the image service and its endpoints (public, internal, admin: all the same URL, so
 * any `openstack.interface` finds it). Looks before it creates, so a restart adds nothing. Keystone
 * on SQLite sometimes answers 500 "database is locked" when writes overlap: retried.
 */
async function registerImageEndpoint(keystone: string, password: string, region: string, url: string): Promise<void> {
  const token = await adminToken(keystone, password);
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${keystone}/v3${path}`, {
        method,
        headers: { 'x-auth-token': token, 'content-type': 'application/json', accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      if (res.ok) return (text ? JSON.parse(text) : {}) as T;
      if (res.status >= 500 && attempt < 10) {
        await sleep(300 * attempt);
        continue;
      }
      throw new Error(`Keystone ${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    }
  };
  const { services } = await api<{ services: Array<{ id: string }> }>('GET', '/services?type=image');
  const serviceId =
    services[0]?.id ??
    (await api<{ service: { id: string } }>('POST', '/services', { service: { type: 'image', name: 'glance', enabled: true } })).service.id;
  const { endpoints } = await api<{ endpoints: Array<{ interface: string; region_id: string; url: string }> }>(
    'GET',
    `/endpoints?service_id=${serviceId}`,
  );
  for (const iface of ['public', 'internal', 'admin']) {
    if (endpoints.some((e) => e.interface === iface && e.region_id === region && e.url === url)) continue;
    await api('POST', '/endpoints', { endpoint: { service_id: serviceId, interface: iface, url, region_id: region, enabled: true } });
  }
}

/** Whether an admin token's catalogue lists an image service (the token answer carries it). */
async function imageServiceListed(keystone: string, password: string): Promise<boolean> {
  const res = await adminLogin(keystone, password, PROBE_TIMEOUT_MS);
  if (res.status !== 201) {
    await res.body?.cancel();
    return false;
  }
  const body = (await res.json()) as { token?: { catalog?: Array<{ type?: string }> } };
  return (body.token?.catalog ?? []).some((s) => s.type === 'image');
}

/** A project-scoped admin login; the answer's body holds the catalogue. */
function adminLogin(keystone: string, password: string, timeoutMs: number): Promise<Response> {
  return fetch(`${keystone}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
    signal: AbortSignal.timeout(timeoutMs),
  });
}

async function adminToken(keystone: string, password: string): Promise<string> {
  const res = await adminLogin(keystone, password, 30_000);
  const token = res.headers.get('x-subject-token');
  await res.body?.cancel();
  if (res.status !== 201 || !token) throw new Error(`Keystone refused the admin login: HTTP ${res.status}`);
  return token;
}

// The three files below are shared/reference/openstack/ as they worked on Debian bookworm; only
// the Glance service password is no longer the literal "s3cret".
const KEYSTONE_CONF_TEMPLATE = `# Rendered by scripts/stack/services/openstack.ts
[database]
connection = sqlite:///@STATE@/keystone.sqlite
[fernet_tokens]
key_repository = @STATE@/fernet
[fernet_receipts]
key_repository = @STATE@/fernet
[credential]
key_repository = @STATE@/cred
[token]
provider = fernet
`;

const GLANCE_CONF_TEMPLATE = `# Rendered by scripts/stack/services/openstack.ts
[DEFAULT]
bind_host = 127.0.0.1
bind_port = @GLANCE_PORT@
workers = 0
enabled_backends = local:file
node_staging_uri = file://@STATE@/staging
# the brackets are required: without them creating an image fails with a 500
enabled_import_methods = [glance-direct,web-download]

[database]
connection = sqlite:///@STATE@/glance.sqlite

[glance_store]
default_backend = local

[local]
filesystem_store_datadir = @STATE@/images/

[os_glance_staging_store]
filesystem_store_datadir = @STATE@/staging/

[os_glance_tasks_store]
filesystem_store_datadir = @STATE@/tasks/

[paste_deploy]
config_file = @STATE@/glance-api-paste.ini
flavor = keystone

[oslo_policy]
enforce_new_defaults = false
enforce_scope = false

[import_filtering_opts]
# web-download from a loopback server needs both
allowed_ports = []
allowed_hosts = [127.0.0.1]

[keystone_authtoken]
www_authenticate_uri = @KEYSTONE@
auth_url = @KEYSTONE@
auth_type = password
project_domain_id = default
user_domain_id = default
project_name = admin
username = admin
password = @PASSWORD@
`;

const GLANCE_PASTE_TEMPLATE = `[pipeline:glance-api]
pipeline = cors healthcheck http_proxy_to_wsgi versionnegotiation osprofiler unauthenticated-context rootapp
[pipeline:glance-api-caching]
pipeline = cors healthcheck http_proxy_to_wsgi versionnegotiation osprofiler unauthenticated-context cache rootapp
[pipeline:glance-api-cachemanagement]
pipeline = cors healthcheck http_proxy_to_wsgi versionnegotiation osprofiler unauthenticated-context cache cachemanage rootapp
[pipeline:glance-api-keystone]
pipeline = cors healthcheck http_proxy_to_wsgi versionnegotiation osprofiler authtoken context  rootapp
[pipeline:glance-api-keystone+caching]
pipeline = cors healthcheck http_proxy_to_wsgi versionnegotiation osprofiler authtoken context cache rootapp
[pipeline:glance-api-keystone+cachemanagement]
pipeline = cors healthcheck http_proxy_to_wsgi versionnegotiation osprofiler authtoken context cache cachemanage rootapp
[composite:rootapp]
paste.composite_factory = glance.api:root_app_factory
/: apiversions
/v2: apiv2app
[app:apiversions]
paste.app_factory = glance.api.versions:create_resource
[app:apiv2app]
paste.app_factory = glance.api.v2.router:API.factory
[filter:healthcheck]
paste.filter_factory = oslo_middleware:Healthcheck.factory
backends = disable_by_file
disable_by_file_path = /etc/glance/healthcheck_disable
[filter:versionnegotiation]
paste.filter_factory = glance.api.middleware.version_negotiation:VersionNegotiationFilter.factory
[filter:cache]
paste.filter_factory = glance.api.middleware.cache:CacheFilter.factory
[filter:cachemanage]
paste.filter_factory = glance.api.middleware.cache_manage:CacheManageFilter.factory
[filter:context]
paste.filter_factory = glance.api.middleware.context:ContextMiddleware.factory
[filter:unauthenticated-context]
paste.filter_factory = glance.api.middleware.context:UnauthenticatedContextMiddleware.factory
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
delay_auth_decision = true
[filter:gzip]
paste.filter_factory = glance.api.middleware.gzip:GzipMiddleware.factory
[filter:osprofiler]
paste.filter_factory = osprofiler.web:WsgiMiddleware.factory
[filter:cors]
paste.filter_factory =  oslo_middleware.cors:filter_factory
oslo_config_project = glance
oslo_config_program = glance-api
[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware:HTTPProxyToWSGI.factory
[pipeline:glance-api-trusted]
pipeline = cors healthcheck http_proxy_to_wsgi versionnegotiation context rootapp
`;
