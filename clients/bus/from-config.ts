// From the settings' `bus` section to client options. Secrets are passed in by the caller (the
// worker reads them with config/secrets readSecret), never read here.
import type { Config } from '../../config/schema';
import type { BusConnectionOptions } from './connection';
import { loadTrustedKeys, privateSigningKey, type TrustedKeys } from './keys';
import type { BusPublisherOptions } from './publisher';

export type BusSettings = Config['bus'];

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

/** Binding of Koji's task state messages: "<kojiTopicPrefix>.buildsys.task.state.change". */
export function kojiTaskBinding(bus: Pick<BusSettings, 'kojiTopicPrefix'>): string {
  return `${bus.kojiTopicPrefix}.buildsys.task.state.change`;
}
