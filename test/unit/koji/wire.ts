// Loads the exchanges recorded from a real Koji 1.35.3 hub (test/fixtures/koji-wire, a copy of
// shared/reference/koji-wire) for use as test vectors.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const WIRE_DIR = fileURLToPath(new URL('../../fixtures/koji-wire/', import.meta.url));

export interface WireMessage {
  method?: string;
  path?: string;
  status?: number;
  reason?: string;
  headers: Record<string, string>;
  body?: string;
  body_base64?: string;
  body_omitted?: boolean;
}

export interface WireExchange {
  file: string;
  index: number;
  label: string;
  actor: string | null;
  sent_by: 'koji.ClientSession' | 'hand-built';
  request: WireMessage & { method: string; path: string };
  response: WireMessage & { status: number };
}

export function wireFiles(): string[] {
  return readdirSync(WIRE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function loadExchanges(file?: string): WireExchange[] {
  const files = file === undefined ? wireFiles() : [file];
  return files.flatMap((f) => {
    const doc = JSON.parse(readFileSync(WIRE_DIR + f, 'utf8')) as { exchanges: Omit<WireExchange, 'file' | 'index'>[] };
    return doc.exchanges.map((e, index) => ({ ...e, file: f, index }));
  });
}

/** The exchange of `file` whose label contains `labelPart` (exactly one must match). */
export function exchange(file: string, labelPart: string, nth = 0): WireExchange {
  const hits = loadExchanges(file).filter((e) => e.label.includes(labelPart));
  const hit = hits[nth];
  if (!hit) throw new Error(`no exchange in ${file} labelled like ${JSON.stringify(labelPart)} (#${nth})`);
  return hit;
}

/** Is this an XML-RPC call (not an upload, not a file GET)? */
export function isXmlRpcPost(e: WireExchange): boolean {
  const ct = e.request.headers['Content-Type'];
  return e.request.method === 'POST' && e.request.path.startsWith('/kojihub') && ct !== 'application/octet-stream' && typeof e.request.body === 'string' && e.request.body.startsWith('<?xml');
}

export function isXmlResponse(e: WireExchange): boolean {
  return typeof e.response.body === 'string' && e.response.body.startsWith('<?xml') && (e.response.headers['Content-Type'] ?? '').startsWith('text/xml');
}
