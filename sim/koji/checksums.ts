// Checksums the hub and kiwi use: sha256 (kiwi's checksum files, checkUpload) and Koji's adler32
// (upload chunks, checkUpload verify="adler32", printed as 8 hex digits).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function sha256File(path: string, start = 0): Promise<{ hex: string; length: number }> {
  const h = createHash('sha256');
  let length = 0;
  for await (const chunk of createReadStream(path, { start, highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  return { hex: h.digest('hex'), length };
}

export class Adler32 {
  private a = 1;
  private b = 0;

  update(buf: Buffer): this {
    const MOD = 65521;
    let { a, b } = this;
    // 5552 bytes keep the sums inside 2^53 between reductions (zlib's NMAX).
    for (let i = 0; i < buf.length; ) {
      const end = Math.min(i + 5552, buf.length);
      for (; i < end; i++) {
        a += buf[i]!;
        b += a;
      }
      a %= MOD;
      b %= MOD;
    }
    this.a = a;
    this.b = b;
    return this;
  }

  hexdigest(): string {
    return (((this.b << 16) | this.a) >>> 0).toString(16).padStart(8, '0');
  }
}

export async function adler32File(path: string, start = 0): Promise<{ hex: string; length: number }> {
  const h = new Adler32();
  let length = 0;
  for await (const chunk of createReadStream(path, { start, highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  return { hex: h.hexdigest(), length };
}
