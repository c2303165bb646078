// A tiny HTTP server on 127.0.0.1 (random port) that plays a hub: it records each request and
// answers with what the test scripted (usually a recorded body from test/fixtures/koji-wire).
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { WireExchange } from './wire';

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** CN of the client certificate (https servers with requestCert only). */
  peerCN?: string;
}

/** What to answer: a reply, 'reset' (destroy the socket), or 'hang' (never answer). */
export type Reply = { status?: number; headers?: Record<string, string>; body?: string } | 'reset' | 'hang';

export interface FakeHub {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export function recorded(e: WireExchange): Reply {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.response.headers)) if (k.toLowerCase() !== 'content-length') headers[k] = v;
  return { status: e.response.status, headers, body: e.response.body ?? '' };
}

export function xmlReply(body: string): Reply {
  return { status: 200, headers: { 'Content-Type': 'text/xml', 'Koji-Version': '1.35.3' }, body };
}

function flat(h: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function handler(requests: SeenRequest[], answer: (req: SeenRequest, index: number) => Reply) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: flat(req.headers), body: Buffer.concat(chunks).toString('utf8') };
      const sock = req.socket as Partial<TLSSocket>;
      if (typeof sock.getPeerCertificate === 'function') {
        const cn = sock.getPeerCertificate().subject?.CN;
        if (cn !== undefined) seen.peerCN = Array.isArray(cn) ? cn.join(',') : cn;
      }
      const index = requests.push(seen) - 1;
      let reply: Reply;
      try {
        reply = answer(seen, index);
      } catch (err) {
        reply = { status: 500, body: `test hub: ${(err as Error).message}` };
      }
      if (reply === 'reset') {
        req.socket.destroy();
        return;
      }
      if (reply === 'hang') return;
      const body = Buffer.from(reply.body ?? '', 'utf8');
      res.writeHead(reply.status ?? 200, { ...reply.headers, 'Content-Length': String(body.length) });
      res.end(body);
    });
  };
}

async function listen(server: Server, requests: SeenRequest[], scheme: 'http' | 'https'): Promise<FakeHub> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `answer` gets each request and its 0-based index; a list answers request i with list[i]. */
export async function startHub(answer: Reply[] | ((req: SeenRequest, index: number) => Reply)): Promise<FakeHub> {
  const requests: SeenRequest[] = [];
  const fn = Array.isArray(answer)
    ? (_r: SeenRequest, i: number) => {
        const a = answer[i];
        if (a === undefined) throw new Error(`no reply scripted for request #${i}`);
        return a;
      }
    : answer;
  return listen(createServer(handler(requests, fn)), requests, 'http');
}

export async function startHttpsHub(
  tls: { cert: Buffer; key: Buffer; ca: Buffer },
  answer: (req: SeenRequest, index: number) => Reply,
): Promise<FakeHub> {
  const requests: SeenRequest[] = [];
  const server = createHttpsServer({ ...tls, requestCert: true, rejectUnauthorized: true }, handler(requests, answer));
  return listen(server as unknown as Server, requests, 'https');
}
