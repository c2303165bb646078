// The bus signing key of an installation, made once. The local stack calls ensureBusSigningKey()
// when it starts, so .stack/secrets/bus-signing-key.pem (+ .pub.pem) exist before any worker or
// the catalogue reads them; running it again changes nothing.
import { resolve } from 'node:path';
import type { Config } from '../../config';
import { ensureSigningKeyFiles, publicKeyPathFor, type EnsuredKey } from '../../clients/bus/keys';
import { REPO_ROOT } from '../stack/paths';

/**
 * Makes the key pair named by config.bus (signing.privateKey.file, and trustedKeys[signing.keyId]
 * for the public half) when it is missing. Paths are relative to the repository root. Returns
 * undefined when the private key comes from an environment variable only (nothing to write).
 */
export function ensureBusSigningKey(config: Config, log: (l: string) => void = () => undefined): EnsuredKey | undefined {
  const file = config.bus.signing.privateKey.file;
  if (file === undefined) return undefined;
  const privateKeyFile = resolve(REPO_ROOT, file);
  const pub = config.bus.trustedKeys[config.bus.signing.keyId];
  const publicKeyFile = pub !== undefined ? resolve(REPO_ROOT, pub) : publicKeyPathFor(privateKeyFile);
  const r = ensureSigningKeyFiles(privateKeyFile, publicKeyFile);
  if (r.created) log(`made bus signing key ${config.bus.signing.keyId} (${r.fingerprint}) in ${privateKeyFile}`);
  return r;
}
