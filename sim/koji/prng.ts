// Seeded randomness, so a fault pattern or a session key sequence repeats from its seed and a
// failing test runs the same way again. Bulk bytes (disk image contents) come from AES-CTR keyed
// by a hash of a seed string: fast and deterministic.
import { createCipheriv, createHash } from 'node:crypto';

export type Random = () => number;

/** mulberry32: a float in [0, 1). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from any string. */
export function seedOf(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32LE(0);
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomAlnum(rand: Random, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[Math.floor(rand() * ALNUM.length)];
  return s;
}

/** `length` deterministic pseudo-random bytes for `seed`, starting at byte `offset` of its stream. */
export function seededBytes(seed: string, length: number, offset = 0): Buffer {
  const key = createHash('sha256').update(`koji-sim:${seed}`).digest().subarray(0, 16);
  const block = Math.floor(offset / 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(block), 8);
  const skip = offset - block * 16;
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  const out = cipher.update(Buffer.alloc(length + skip));
  return out.subarray(skip, skip + length);
}

/** A GUID (RFC 4122 v4 layout) derived from a seed string, as text. */
export function seededGuid(seed: string): string {
  const b = createHash('sha256').update(`guid:${seed}`).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`.toUpperCase();
}
