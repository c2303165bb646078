// Bearer-token check for the few writing endpoints. Both sides are hashed first so the
// comparison is constant-time whatever the lengths, and nothing about the token leaks by timing.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export type BearerCheck = 'ok' | 'missing' | 'invalid';

export function checkBearer(header: string | undefined, expected: string): BearerCheck {
  if (!header) return 'missing';
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!m?.[1]) return 'invalid';
  // An empty configured token would accept anything hashed equal to sha256(""): refuse instead.
  if (expected === '') return 'invalid';
  return timingSafeEqual(digest(m[1]), digest(expected)) ? 'ok' : 'invalid';
}
