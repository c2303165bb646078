// A password kept in a file readable by its owner only (0600, directory 0700): created with a
// random value when missing, read back otherwise. The local stack's Koji password lives in
// .stack/secrets/koji-password, where the pipeline's config reads it.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function ensureSecretFile(path: string): string {
  if (existsSync(path)) {
    const v = readFileSync(path, 'utf8').trim();
    if (v !== '') return v;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const secret = randomBytes(18).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(path, 0o600);
  return secret;
}
