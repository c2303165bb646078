// The sentence an OpenStack service put in its error answer, for people to read.
// Keystone answers JSON `{"error":{"code":401,"message":"…","title":"Unauthorized"}}`; Glance
// (webob) answers an HTML page whose text after the <h1> is the message, e.g.
// "<h1>400 Bad Request</h1> Provided object does not match schema 'image': 44 is not of type 'string' …",
// or, asked for JSON, `{"message": "No image found with ID …<br /><br />\n\n\n", "code": "404 Not Found"}`.

const MAX = 400;

export function serverMessage(body: string, contentType: string | null | undefined): string {
  const text = body.trim();
  if (text === '') return '';
  if ((contentType ?? '').includes('json') || text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      const found = jsonMessage(parsed);
      if (found) return clip(firstParagraph(found));
    } catch {
      /* not JSON after all: fall through */
    }
  }
  if ((contentType ?? '').includes('html') || /^<(!doctype|html)/i.test(text)) return clip(htmlMessage(text));
  return clip(firstParagraph(text));
}

function jsonMessage(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.message === 'string') return o.message;
  for (const key of ['error', 'badRequest', 'itemNotFound', 'forbidden', 'conflictingRequest', 'overLimit']) {
    const inner = o[key];
    if (inner && typeof inner === 'object' && typeof (inner as Record<string, unknown>).message === 'string') {
      return (inner as Record<string, string>).message;
    }
  }
  return undefined;
}

function htmlMessage(html: string): string {
  // The body after the heading; webob puts the explanation, then detail after a blank line.
  const afterH1 = /<\/h1>([\s\S]*?)(<\/body>|$)/i.exec(html)?.[1] ?? /<title>([\s\S]*?)<\/title>/i.exec(html)?.[1] ?? html;
  return firstParagraph(afterH1);
}

/** Glance's JSON messages carry the same text as its HTML pages ("…<br /><br />\n\n\n"). */
function firstParagraph(text: string): string {
  const plain = decodeEntities(text.replace(/<br\s*\/?>/gi, '\n').replace(/<[^>]*>/g, ''));
  // The first paragraph is the sentence; the rest is a schema dump or blank lines.
  return plain.trim().split(/\n\s*\n/)[0]?.trim() ?? '';
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|nbsp);/gi, (_, e: string) => {
    const lower = e.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }[lower] ?? '';
  });
}

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX ? `${one.slice(0, MAX - 1)}…` : one;
}
