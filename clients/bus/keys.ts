// Ed25519 signing keys as PEM files: the publisher holds the private key (PKCS#8), consumers a set
// of trusted public keys (SPKI) by key id. See README.md beside this file for making and rotating.
import { ClientError } from '../client-error';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class SigningKeyError extends ClientError {
  override name = 'SigningKeyError';
}

export function generateSigningKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function privateSigningKey(pem: string | Buffer, what = 'the signing key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new SigningKeyError(`${what} is not a PEM private key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SigningKeyError(`${what} is a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

export function publicSigningKey(pem: string | Buffer, what = 'the public key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new SigningKeyError(`${what} is not a PEM public key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SigningKeyError(`${what} is a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

/** "SHA256:<base64>" of the public key's SPKI DER: what to compare when installing a key. */
export function keyFingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return `SHA256:${createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('base64').replace(/=+$/, '')}`;
}

export type TrustedKeys = ReadonlyMap<string, KeyObject>;

/** Key id -> public key, from the settings' bus.trustedKeys (key id -> PEM file). */
export function loadTrustedKeys(files: Record<string, string>, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): TrustedKeys {
  const keys = new Map<string, KeyObject>();
  for (const [keyId, file] of Object.entries(files)) {
    let pem: string;
    try {
      pem = read(file);
    } catch (err) {
      throw new SigningKeyError(`trusted key ${keyId}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    keys.set(keyId, publicSigningKey(pem, `trusted key ${keyId} (${file})`));
  }
  return keys;
}

export interface EnsuredKey {
  created: boolean;
  privateKeyFile: string;
  publicKeyFile: string;
  fingerprint: string;
}

/** The public key file beside a private one: x.pem -> x.pub.pem. */
export function publicKeyPathFor(privateKeyFile: string): string {
  return privateKeyFile.endsWith('.pem') ? `${privateKeyFile.slice(0, -4)}.pub.pem` : `${privateKeyFile}.pub.pem`;
}

/**
 * Idempotent: makes a key pair when the private key file is missing (0600, parent folder 0700);
 * otherwise keeps it, tightens its mode to 0600, and (re)writes the public key derived from it
 * when that file is missing or belongs to another key.
 */
export function ensureSigningKeyFiles(privateKeyFile: string, publicKeyFile: string = publicKeyPathFor(privateKeyFile)): EnsuredKey {
  let created = false;
  if (!existsSync(privateKeyFile)) {
    mkdirSync(dirname(privateKeyFile), { recursive: true, mode: 0o700 });
    const pair = generateSigningKeyPair();
    try {
      // wx: never replace a key another process wrote in the meantime.
      writeFileSync(privateKeyFile, pair.privatePem, { mode: 0o600, flag: 'wx' });
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  if ((statSync(privateKeyFile).mode & 0o077) !== 0) chmodSync(privateKeyFile, 0o600);
  const priv = privateSigningKey(readFileSync(privateKeyFile), privateKeyFile);
  const wantedPublic = createPublicKey(priv).export({ type: 'spki', format: 'pem' }).toString();
  let havePublic: string | undefined;
  try {
    havePublic = readFileSync(publicKeyFile, 'utf8');
  } catch {
    havePublic = undefined;
  }
  if (havePublic === undefined || !samePublicKey(havePublic, wantedPublic)) {
    mkdirSync(dirname(publicKeyFile), { recursive: true });
    writeFileSync(publicKeyFile, wantedPublic, { mode: 0o644 });
  }
  return { created, privateKeyFile, publicKeyFile, fingerprint: keyFingerprint(priv) };
}

function samePublicKey(a: string, b: string): boolean {
  try {
    return keyFingerprint(createPublicKey(a)) === keyFingerprint(createPublicKey(b));
  } catch {
    return false;
  }
}
