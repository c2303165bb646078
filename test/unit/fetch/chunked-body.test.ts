// The chunked-body decoder against bodies cut at every possible byte boundary, as TCP may deliver
// them, and against bytes that are not a chunked body.
import { describe, expect, it } from 'vitest';
import { ChunkedBodyDecoder, ChunkedBodyError } from '../../../clients/fetch/chunked-body';

function decode(parts: Buffer[]): { body: Buffer; done: boolean } {
  const d = new ChunkedBodyDecoder();
  const out: Buffer[] = [];
  for (const p of parts) d.push(p, (s) => out.push(Buffer.from(s)));
  return { body: Buffer.concat(out), done: d.done };
}

const wire = Buffer.from('5;ext=1\r\nhello\r\n1A\r\n' + 'abcdefghijklmnopqrstuvwxyz' + '\r\n0\r\nX-Trailer: 1\r\n\r\n', 'latin1');

describe('chunked body', () => {
  it('decodes a body with extensions and trailers, split at any byte', () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      expect(decode([wire.subarray(0, cut), wire.subarray(cut)])).toEqual({ body: Buffer.from('helloabcdefghijklmnopqrstuvwxyz'), done: true });
    }
    expect(decode([...wire].map((b) => Buffer.from([b]))).body.toString()).toBe('helloabcdefghijklmnopqrstuvwxyz');
  });

  it('hands on views of the received buffer, not copies', () => {
    const d = new ChunkedBodyDecoder();
    const slices: Buffer[] = [];
    d.push(wire, (s) => slices.push(s));
    expect(slices[0]?.buffer).toBe(wire.buffer);
  });

  it('is not done before the last chunk', () => {
    expect(decode([Buffer.from('5\r\nhello\r\n')]).done).toBe(false);
  });

  it('refuses a size line that is not hex and data longer than its size', () => {
    expect(() => decode([Buffer.from('zz\r\n')])).toThrow(ChunkedBodyError);
    expect(() => decode([Buffer.from('2\r\nabc\r\n')])).toThrow(/longer than its chunk-size/);
  });
});
