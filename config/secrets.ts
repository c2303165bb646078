// Reads a secret named by a SecretRef, on the worker host only, at the moment a client is built.
// The value never goes back into the config object, a workflow input or a log line.
import { readFileSync } from 'node:fs';
import type { SecretRef } from './schema';

export class MissingSecretError extends Error {
  override name = 'MissingSecretError';
}

export function readSecret(ref: SecretRef, what: string, env: NodeJS.ProcessEnv = process.env): string {
  if (ref.env !== undefined) {
    const v = env[ref.env];
    if (v !== undefined && v !== '') return v;
    if (ref.file === undefined) throw new MissingSecretError(`${what}: set the environment variable ${ref.env}`);
  }
  if (ref.file !== undefined) {
    try {
      return readFileSync(ref.file, 'utf8').trim();
    } catch (err) {
      throw new MissingSecretError(`${what}: cannot read ${ref.file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  throw new MissingSecretError(`${what}: no env or file given`);
}
