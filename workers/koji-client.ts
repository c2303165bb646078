// The worker's Koji client: the dedicated pipeline user (image permission only, never admin),
// logged in with the password or the client certificate named in the settings.
import { KojiClient, type KojiAuth } from '../clients/koji';
import type { Config } from '../config';
import { readSecret } from '../config/secrets';

export function kojiClientFromConfig(config: Config): KojiClient {
  const a = config.koji.auth;
  const auth: KojiAuth =
    a.method === 'password'
      ? { method: 'password', user: config.koji.user, password: readSecret(a.password, 'koji.auth.password') }
      : { method: 'certificate', certFile: a.certFile, keyFile: a.keyFile, ...(a.caFile ? { caFile: a.caFile } : {}) };
  return new KojiClient({ hubUrl: config.koji.hubUrl, auth });
}
