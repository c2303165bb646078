// One HTTP POST to the hub. Two implementations of the same small interface: node:http(s) (the
// default; it carries the client certificate for certificate login) and any fetch (injected,
// e.g. for tests or a proxying fetch). Failures are NOT classified here: the client decides
// what is transient (see errors.ts); this layer only reports what happened.
import http from 'node:http';
import https from 'node:https';

export interface HttpPostRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Aborts the request (the caller's signal combined with the per-request timeout). */
  signal: AbortSignal;
  maxResponseBytes: number;
}

export interface HttpPostResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type HttpPost = (req: HttpPostRequest) => Promise<HttpPostResponse>;

/** The answer was bigger than maxResponseBytes. */
export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError';
}

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** POST with node:http / node:https; `agent` carries TLS settings (client cert, CA) and keep-alive. */
export function nodeHttpPost(agent?: http.Agent): HttpPost {
  return (req) =>
    new Promise<HttpPostResponse>((resolve, reject) => {
      const url = new URL(req.url);
      const mod = url.protocol === 'https:' ? https : http;
      const body = Buffer.from(req.body, 'utf8');
      const r = mod.request(
        url,
        {
          method: 'POST',
          headers: { ...req.headers, 'Content-Length': String(body.length) },
          ...(agent ? { agent } : {}),
          signal: req.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > req.maxResponseBytes) {
              res.destroy(new ResponseTooLargeError(`answer exceeds ${req.maxResponseBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            if (!res.complete) {
              reject(Object.assign(new Error('connection closed before the answer was complete'), { code: 'ECONNRESET' }));
              return;
            }
            resolve({ status: res.statusCode ?? 0, headers: flatHeaders(res.headers), body: Buffer.concat(chunks).toString('utf8') });
          });
        },
      );
      r.on('error', reject);
      r.end(body);
    });
}

/** POST with a fetch implementation (global fetch by default). */
export function fetchHttpPost(fetchImpl: typeof fetch = fetch): HttpPost {
  return async (req) => {
    const res = await fetchImpl(req.url, { method: 'POST', headers: req.headers, body: req.body, signal: req.signal });
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > req.maxResponseBytes) {
      await res.body?.cancel();
      throw new ResponseTooLargeError(`answer of ${declared} bytes exceeds ${req.maxResponseBytes}`);
    }
    const buf = Buffer.from(await res.arrayBuffer());
    if (buf.length > req.maxResponseBytes) throw new ResponseTooLargeError(`answer exceeds ${req.maxResponseBytes} bytes`);
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k.toLowerCase()] = v;
    });
    return { status: res.status, headers, body: buf.toString('utf8') };
  };
}

/** TLS settings for certificate login (PEM contents, not paths). */
export function tlsAgent(opts: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer }): https.Agent {
  return new https.Agent({ keepAlive: true, cert: opts.cert, key: opts.key, ...(opts.ca !== undefined ? { ca: opts.ca } : {}) });
}
