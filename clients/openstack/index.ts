export * from './errors';
export { fedoraImageProperties, IDENTITY, type FedoraArch, type FedoraImageIdentity, type Firmware } from './fedora-properties';
export {
  GlanceClient,
  type CallOptions,
  type CreateImageRequest,
  type GlanceApi,
  type GlanceClientOptions,
  type GlanceImage,
  type GlanceStatus,
  type ImageFilter,
  type UploadOptions,
  type Visibility,
} from './glance';
export { KeystoneSession, findEndpoint, type CatalogEntry, type EndpointInterface, type KeystoneCredentials, type KeystoneSessionOptions, type KeystoneToken } from './keystone';
export type { UploadProgress, UploadResult } from './upload';
