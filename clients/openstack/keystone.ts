// Keystone v3: one login (password scoped to a project, or an application credential, which
// carries its own scope), the token kept and renewed before it expires, and the service catalogue
// that came with it, read by service type, region and interface.
import { OpenStackAuthError, OpenStackCatalogError, OpenStackHttpError, OpenStackProtocolError } from './errors';
import { requestJson } from './http';

export type KeystoneCredentials =
  | {
      method: 'password';
      username: string;
      /** A domain id ("default", 32 hex digits) or a domain name ("Default", "fedora"). */
      userDomain: string;
      password: string;
      projectName: string;
      projectDomain: string;
    }
  | { method: 'application_credential'; id: string; secret: string };

export type EndpointInterface = 'public' | 'internal' | 'admin';

export interface CatalogEndpoint {
  interface: string;
  url: string;
  region_id?: string | null;
  region?: string | null;
}

export interface CatalogEntry {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface KeystoneToken {
  value: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  issuedAt: number;
  catalog: CatalogEntry[];
  projectId: string | undefined;
}

export interface KeystoneSessionOptions {
  /** Keystone's v3 URL, e.g. https://keystone.example:5000/v3 (a missing /v3 is added). */
  authUrl: string;
  credentials: KeystoneCredentials;
  /**
   * Log in again this long before the token expires, so a token handed out is never about to
   * run out mid-request. Capped at half the token's lifetime. Default 10 minutes.
   */
  renewBeforeMs?: number;
  timeoutMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export class KeystoneSession {
  readonly authUrl: string;
  private readonly renewBeforeMs: number;
  private readonly now: () => number;
  private current: KeystoneToken | undefined;
  private pending: Promise<KeystoneToken> | undefined;
  /** Number of logins so far (for logs and tests). */
  logins = 0;

  constructor(private readonly opts: KeystoneSessionOptions) {
    const trimmed = opts.authUrl.replace(/\/+$/, '');
    this.authUrl = /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
    this.renewBeforeMs = opts.renewBeforeMs ?? 10 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** A token with time left; logs in when there is none or it is close to expiry. */
  async token(signal?: AbortSignal): Promise<KeystoneToken> {
    const t = this.current;
    if (t && this.now() < t.expiresAt - Math.min(this.renewBeforeMs, (t.expiresAt - t.issuedAt) / 2)) return t;
    // Concurrent callers share one login.
    this.pending ??= this.login(signal).finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Forget a token a service refused (revoked, or Keystone restarted with new keys). */
  invalidate(value?: string): void {
    if (value === undefined || this.current?.value === value) this.current = undefined;
  }

  /** The endpoint URL of a service type (e.g. "image") from the token's catalogue. */
  async endpoint(type: string, where: { region: string; interface: EndpointInterface }, signal?: AbortSignal): Promise<string> {
    const { catalog } = await this.token(signal);
    return findEndpoint(catalog, type, where);
  }

  private async login(signal?: AbortSignal): Promise<KeystoneToken> {
    const url = `${this.authUrl}/auth/tokens`;
    let res;
    try {
      res = await requestJson<{ token?: TokenBody }>('keystone', url, {
        method: 'POST',
        body: { auth: authBody(this.opts.credentials) },
        signal,
        timeoutMs: this.opts.timeoutMs,
      });
    } catch (err) {
      if (err instanceof OpenStackHttpError && err.status === 401) {
        throw new OpenStackAuthError(describe(this.opts.credentials), url, err.status, err.serverMessage, err.requestId);
      }
      throw err;
    }
    const value = res.headers.get('x-subject-token');
    const body = res.body?.token;
    if (!value || !body?.expires_at) throw new OpenStackProtocolError(`keystone POST ${url}: no X-Subject-Token or expires_at in the answer`);
    const expiresAt = Date.parse(body.expires_at);
    const issuedAt = body.issued_at ? Date.parse(body.issued_at) : this.now();
    if (Number.isNaN(expiresAt)) throw new OpenStackProtocolError(`keystone: unreadable expires_at ${body.expires_at}`);
    this.logins += 1;
    this.current = { value, expiresAt, issuedAt, catalog: body.catalog ?? [], projectId: body.project?.id };
    return this.current;
  }
}

interface TokenBody {
  expires_at?: string;
  issued_at?: string;
  catalog?: CatalogEntry[];
  project?: { id?: string };
}

export function findEndpoint(catalog: CatalogEntry[], type: string, where: { region: string; interface: EndpointInterface }): string {
  const entries = catalog.filter((c) => c.type === type);
  if (entries.length === 0) {
    throw new OpenStackCatalogError(
      `Keystone's catalogue has no "${type}" service (it lists: ${catalog.map((c) => c.type).join(', ') || 'nothing'})`,
    );
  }
  for (const entry of entries) {
    const hit = entry.endpoints.find((e) => e.interface === where.interface && (e.region_id ?? e.region) === where.region);
    if (hit) return hit.url.replace(/\/+$/, '');
  }
  const offered = entries.flatMap((c) => c.endpoints.map((e) => `${e.interface}@${e.region_id ?? e.region ?? '?'}`));
  throw new OpenStackCatalogError(
    `Keystone's catalogue has no ${where.interface} "${type}" endpoint in region ${where.region} (offered: ${offered.join(', ') || 'none'})`,
  );
}

export function authBody(c: KeystoneCredentials): Record<string, unknown> {
  if (c.method === 'application_credential') {
    // An application credential is bound to its project: a scope block would be refused.
    return { identity: { methods: ['application_credential'], application_credential: { id: c.id, secret: c.secret } } };
  }
  return {
    identity: { methods: ['password'], password: { user: { name: c.username, domain: domainRef(c.userDomain), password: c.password } } },
    scope: { project: { name: c.projectName, domain: domainRef(c.projectDomain) } },
  };
}

/** "default" and 32-hex-digit strings are domain ids; anything else is a domain name. */
export function domainRef(domain: string): { id: string } | { name: string } {
  return /^(default|[0-9a-f]{32})$/.test(domain) ? { id: domain } : { name: domain };
}

function describe(c: KeystoneCredentials): string {
  return c.method === 'password'
    ? `user "${c.username}" (domain ${c.userDomain}, project ${c.projectName})`
    : `application credential ${c.id}`;
}
