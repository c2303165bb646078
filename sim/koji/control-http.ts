// The simulator's own HTTP controls, beside the hub: POST /sim/faults (JSON fault rules, the same
// shape as sim.faults.set), GET /sim/faults, DELETE /sim/faults, GET /sim/state (tasks,
// submissions per owner and method, sessions), GET /sim/info (pid, URLs) and
// POST /sim/tasks/<id>/advance?to=open|done.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { XmlRpcDouble } from '../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import type { KojiFaultConfig } from './fault-injection';

export interface ControlTarget {
  faults: { set(c: KojiFaultConfig): void; clear(): void; snapshot(): unknown };
  state(): unknown;
  info(): unknown;
  advance(id: number, to: 'open' | 'done'): Promise<void>;
}

/** XML-RPC values as JSON: doubles as numbers, i8 beyond 2^53 and base64 as strings. */
export function jsonSafe(v: XmlRpcValue): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof XmlRpcDouble) return v.value;
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) return v.map(jsonSafe);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export async function serveControl(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, body: Buffer, sim: ControlTarget): Promise<void> {
  try {
    if (path === '/sim/faults') {
      if (req.method === 'GET') return send(res, 200, sim.faults.snapshot());
      if (req.method === 'DELETE') {
        sim.faults.clear();
        return send(res, 200, sim.faults.snapshot());
      }
      if (req.method === 'POST' || req.method === 'PUT') {
        sim.faults.set(body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as KojiFaultConfig));
        return send(res, 200, sim.faults.snapshot());
      }
    }
    if (path === '/sim/state' && req.method === 'GET') return send(res, 200, sim.state());
    if (path === '/sim/info' && req.method === 'GET') return send(res, 200, sim.info());
    const adv = /^\/sim\/tasks\/(\d+)\/advance$/.exec(path);
    if (adv && req.method === 'POST') {
      const to = query.get('to') === 'open' ? 'open' : 'done';
      await sim.advance(Number(adv[1]), to);
      return send(res, 200, { advanced: Number(adv[1]), to });
    }
    send(res, 404, { error: `no control at ${req.method} ${path}` });
  } catch (err) {
    send(res, 400, { error: (err as Error).message });
  }
}
