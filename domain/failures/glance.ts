// Stable failure types of publishing to OpenStack Glance (clients/openstack).

export const GlanceFailureType = {
  /** Keystone refused the credentials (401 at login). Final. */
  AuthFailed: 'OpenStackAuthFailed',
  /** 403: the account may not do this (e.g. publicise images). Final. */
  Forbidden: 'OpenStackForbidden',
  /** 400/404/413 and other final answers. Final. */
  Rejected: 'OpenStackRequestRejected',
  /** The catalogue has no image endpoint in the region/interface. Final. */
  CatalogMissing: 'OpenStackCatalogMissing',
  /** An active image of ours with the same name holds different content. Final. */
  NameConflict: 'GlanceNameConflict',
  /** The staged qcow2 is missing or not the file described. Final. */
  SourceMismatch: 'GlanceSourceMismatch',
  /** What Glance stored differs from what was sent; the image was deleted. Retryable. */
  VerificationFailed: 'GlanceVerificationFailed',
  /** 5xx, 408, 409, 429. Retryable. */
  Unavailable: 'OpenStackUnavailable',
  /** Connection refused / reset / timed out. Retryable. */
  Unreachable: 'OpenStackUnreachable',
  /** A 2xx answer this client cannot read. Retryable. */
  Protocol: 'OpenStackProtocol',
  /** The workflow's verdict: the image vanished while Glance imported it. */
  ImageVanished: 'GlanceImageVanished',
} as const;

export type GlanceFailureTypeName = (typeof GlanceFailureType)[keyof typeof GlanceFailureType];

export const GLANCE_NON_RETRYABLE: readonly string[] = [
  GlanceFailureType.AuthFailed,
  GlanceFailureType.Forbidden,
  GlanceFailureType.Rejected,
  GlanceFailureType.CatalogMissing,
  GlanceFailureType.NameConflict,
  GlanceFailureType.SourceMismatch,
];
