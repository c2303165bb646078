// Key files: made once, private key 0600, public half derived and repaired, never replaced.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureSigningKeyFiles, generateSigningKeyPair, loadTrustedKeys, publicKeyPathFor, SigningKeyError } from '../../../clients/bus/keys';

describe('signing key files', () => {
  it('makes the pair once and keeps it on later calls', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedimg-keys-'));
    const priv = join(dir, 'secrets', 'bus-signing-key.pem');
    const first = ensureSigningKeyFiles(priv);
    expect(first.created).toBe(true);
    expect(first.publicKeyFile).toBe(join(dir, 'secrets', 'bus-signing-key.pub.pem'));
    expect(statSync(priv).mode & 0o777).toBe(0o600);
    expect(readFileSync(priv, 'utf8')).toContain('BEGIN PRIVATE KEY');
    expect(readFileSync(first.publicKeyFile, 'utf8')).toContain('BEGIN PUBLIC KEY');
    const before = readFileSync(priv, 'utf8');

    const second = ensureSigningKeyFiles(priv);
    expect(second.created).toBe(false);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(readFileSync(priv, 'utf8')).toBe(before);
  });

  it('rewrites a missing or foreign public key from the private one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedimg-keys-'));
    const priv = join(dir, 'k.pem');
    const { fingerprint } = ensureSigningKeyFiles(priv);
    writeFileSync(publicKeyPathFor(priv), generateSigningKeyPair().publicPem);
    const again = ensureSigningKeyFiles(priv);
    expect(again.fingerprint).toBe(fingerprint);
    const keys = loadTrustedKeys({ k: publicKeyPathFor(priv) });
    expect(keys.get('k')?.asymmetricKeyType).toBe('ed25519');
  });

  it('refuses a trusted key file that is not an Ed25519 public key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedimg-keys-'));
    writeFileSync(join(dir, 'bad.pem'), 'not a key');
    expect(() => loadTrustedKeys({ bad: join(dir, 'bad.pem') })).toThrow(SigningKeyError);
    expect(() => loadTrustedKeys({ gone: join(dir, 'gone.pem') })).toThrow(/cannot read/);
  });
});
