// Every client the project runs, built from the settings: the one place that reads temporal.config.ts
// sections into a client's plain options (clients/ take options, never the config). Secrets are
// passed in by the caller (config/secrets readSecret, on the host that uses them), never read by
// a client and never handed to a workflow.
import type { Config, SecretRef } from '../config';
import { loadTrustedKeys, privateSigningKey, type BusConnectionOptions, type BusPublisherOptions, type TrustedKeys } from '../clients/bus';
import { createDirectoryTarget, createDownloadsS3Client, createS3Target, type DownloadTarget } from '../clients/downloads';
import { GlanceClient, KeystoneSession, type KeystoneCredentials } from '../clients/openstack';

export type BusSettings = Config['bus'];
export type OpenstackSettings = Config['openstack'];

export function busConnectionOptions(bus: BusSettings): BusConnectionOptions {
  return { url: bus.url, ...(bus.tls ? { tls: bus.tls } : {}) };
}

/** Publisher options; `signingKeyPem` is the private key readSecret(bus.signing.privateKey) returned. */
export function busPublisherOptions(bus: BusSettings, signingKeyPem: string): BusPublisherOptions {
  return {
    ...busConnectionOptions(bus),
    exchange: bus.exchange,
    topicPrefix: bus.topicPrefix,
    ...(bus.publishPriority !== undefined ? { priority: bus.publishPriority } : {}),
    signing: { keyId: bus.signing.keyId, privateKey: privateSigningKey(signingKeyPem, `bus signing key ${bus.signing.keyId}`) },
    confirmTimeoutMs: bus.confirmTimeoutSeconds * 1000,
  };
}

/** The public keys consumers (the catalogue) accept, by key id. */
export function busTrustedKeys(bus: BusSettings): TrustedKeys {
  return loadTrustedKeys(bus.trustedKeys);
}

/** The Keystone session and the Glance client of the `openstack` section. */
export function openstackClientsFromConfig(
  settings: OpenstackSettings,
  readSecret: (ref: SecretRef, what: string) => string,
): { session: KeystoneSession; glance: GlanceClient } {
  const a = settings.auth;
  const credentials: KeystoneCredentials =
    a.method === 'password'
      ? {
          method: 'password',
          username: a.username,
          userDomain: a.userDomain,
          projectName: a.projectName,
          projectDomain: a.projectDomain,
          password: readSecret(a.password, 'openstack.auth.password'),
        }
      : { method: 'application_credential', id: a.id, secret: readSecret(a.secret, 'openstack.auth.secret') };
  const session = new KeystoneSession({ authUrl: settings.authUrl, credentials });
  const glance = new GlanceClient({ session, region: settings.region, interface: settings.interface, endpoint: settings.imageEndpoint });
  return { session, glance };
}

/** The download server's target (a directory or an S3 bucket) of the `downloads` section. */
export function downloadTargetFromConfig(downloads: Config['downloads']): DownloadTarget {
  if (downloads.type === 'directory') {
    return createDirectoryTarget({ root: downloads.root, layout: downloads.layout, publicUrl: downloads.publicUrl });
  }
  const { region, endpoint, forcePathStyle, bucket, layout, publicUrl, partSizeMiB } = downloads;
  return createS3Target({
    client: createDownloadsS3Client({ region, endpoint, forcePathStyle }),
    bucket,
    layout,
    publicUrl,
    partSize: partSizeMiB === undefined ? undefined : partSizeMiB * 1024 * 1024,
  });
}
