// OpenStack failures, split by what another attempt can change. Each class has a stable `name`
// the activities use as the Temporal failure type, and a message that carries the server's own
// words (Keystone's JSON `error.message`, Glance's HTML error page reduced to its sentence).
//
// Retryable: the connection failed or timed out, or the server answered 5xx / 408 / 429, or
// Glance answered 409 (an image changed state under us: the next attempt looks again).
// Final: 400 (we sent something the API refuses), 401 (wrong credentials), 403 (no right to
// do it), 404 outside look-ups, 413 (over a quota or size limit). A retry would fail the same way.
import { ClientError } from '../client-error';

export type OpenStackService = 'keystone' | 'glance';

export class OpenStackError extends ClientError {
  override name = 'OpenStackError';
}

/** The server answered with an error status. */
export class OpenStackHttpError extends OpenStackError {
  override name = 'OpenStackHttpError';
  override readonly retryable: boolean;
  constructor(
    readonly service: OpenStackService,
    readonly method: string,
    readonly url: string,
    readonly status: number,
    /** The server's own explanation, reduced to plain text. */
    readonly serverMessage: string,
    readonly requestId?: string,
  ) {
    super(`${service} ${method} ${stripQuery(url)}: HTTP ${status}${serverMessage ? ` ${serverMessage}` : ''}`);
    this.retryable = isRetryableStatus(status);
  }
}

/** Keystone refused the credentials (HTTP 401 on login): final, a retry cannot fix a password. */
export class OpenStackAuthError extends OpenStackHttpError {
  override name = 'OpenStackAuthError';
  constructor(who: string, url: string, status: number, serverMessage: string, requestId?: string) {
    super('keystone', 'POST', url, status, serverMessage, requestId);
    this.message = `Keystone at ${stripQuery(url)} refused the credentials of ${who}: HTTP ${status} ${serverMessage}`.trim();
  }
}

/** No answer: connection refused or reset, DNS, TLS, or the request timed out. */
export class OpenStackConnectionError extends OpenStackError {
  override name = 'OpenStackConnectionError';
  override readonly retryable = true;
  constructor(
    readonly service: OpenStackService,
    readonly method: string,
    readonly url: string,
    /** ECONNREFUSED, ECONNRESET, ETIMEDOUT (our own deadline), … */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`${service} ${method} ${stripQuery(url)}: ${code}`, options);
  }
}

/** Keystone's catalogue has no endpoint for the service in the region/interface: configuration. */
export class OpenStackCatalogError extends OpenStackError {
  override name = 'OpenStackCatalogError';
}

/** The server answered 2xx with something this client cannot read: a broken proxy, or a bug. */
export class OpenStackProtocolError extends OpenStackError {
  override name = 'OpenStackProtocolError';
  override readonly retryable = true;
}

/**
 * What Glance stored is not what we sent (size or hash differ), or the local file is not the
 * one the caller described. Retryable: the image was removed and the next attempt uploads again;
 * a staged file that keeps changing fails `SourceMismatch` instead.
 */
export class GlanceVerificationError extends OpenStackError {
  override name = 'GlanceVerificationError';
  override readonly retryable = true;
}

/** The staged file's size or sha256 is not the one the caller gave: final for this input. */
export class GlanceSourceMismatchError extends OpenStackError {
  override name = 'GlanceSourceMismatchError';
}

export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 409 || status === 429;
}

/** True for errors a later attempt may get past (anything unknown counts as retryable). */
export function isRetryable(err: unknown): boolean {
  return err instanceof OpenStackError ? err.retryable : true;
}

function stripQuery(url: string): string {
  const i = url.indexOf('?');
  return i < 0 ? url : url.slice(0, i);
}
