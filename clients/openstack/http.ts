// One JSON request to an OpenStack API over fetch (undici), with a deadline, the caller's abort
// signal, and failures turned into the error classes of errors.ts. No retries here: retrying is
// the activity's retry policy's job (Temporal), except the one re-login on a 401 that glance.ts does.
import { OpenStackConnectionError, OpenStackHttpError, type OpenStackService } from './errors';
import { serverMessage } from './server-message';

export const DEFAULT_TIMEOUT_MS = 60_000;

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Serialised as JSON unless it is already a string. */
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface JsonResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export async function requestJson<T>(service: OpenStackService, url: string, opts: RequestOptions = {}): Promise<JsonResponse<T>> {
  const method = opts.method ?? 'GET';
  const deadline = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] = opts.contentType ?? 'application/json';
  }
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method, headers, body, signal });
    text = await res.text();
  } catch (err) {
    throw connectionFailure(service, method, url, err, opts.signal, deadline);
  }
  if (!res.ok) {
    throw new OpenStackHttpError(
      service,
      method,
      url,
      res.status,
      serverMessage(text, res.headers.get('content-type')),
      res.headers.get('x-openstack-request-id') ?? undefined,
    );
  }
  let parsed: unknown = undefined;
  if (text.trim() !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/**
 * The caller's abort comes back as the caller's own reason (so a Temporal cancellation stays a
 * cancellation); our deadline and network failures become a retryable OpenStackConnectionError.
 */
export function connectionFailure(
  service: OpenStackService,
  method: string,
  url: string,
  err: unknown,
  callerSignal: AbortSignal | undefined,
  deadline?: AbortSignal,
): unknown {
  if (callerSignal?.aborted) return abortReason(callerSignal);
  if (deadline?.aborted) return new OpenStackConnectionError(service, method, url, 'ETIMEDOUT', { cause: err });
  const e = err as { code?: string; cause?: { code?: string; message?: string }; message?: string };
  const code = e.cause?.code ?? e.code ?? e.cause?.message ?? e.message ?? 'connection failed';
  return new OpenStackConnectionError(service, method, url, code, { cause: err });
}

export function abortReason(signal: AbortSignal): unknown {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new DOMException(typeof r === 'string' ? r : 'The operation was aborted', 'AbortError');
}
