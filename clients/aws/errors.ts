// How an AWS failure should be treated. Retrying is for what someone explained to be transient:
//  - throttling (RequestLimitExceeded, Throttling, SlowDown, RequestThrottledException): AWS asks
//    callers to back off and try again;
//  - 5xx and network errors (reset, timeout): the request may not have been processed;
//  - IncorrectState, InvalidAMIID.Unavailable: an image or snapshot is still pending and the
//    operation will succeed once it is available.
// Everything else from AWS (auth, bad parameter, limits) is final: retrying will not change it.
// "Not found" is its own class because callers decide (deregistering something gone is success;
// describing an image a copy just made is eventual consistency).

export type AwsErrorClass = 'transient' | 'not-found' | 'final';

const TRANSIENT_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'InternalError',
  'InternalFailure',
  'InternalServerException',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'IncorrectState',
  'IncorrectInstanceState',
  'InvalidAMIID.Unavailable',
  'ConcurrentTagAccess',
  'PendingSnapshotLimitExceeded',
]);

const NOT_FOUND_CODES = new Set(['InvalidAMIID.NotFound', 'InvalidSnapshot.NotFound', 'ResourceNotFoundException', 'NotFound', 'NoSuchKey']);

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET']);

export interface AwsErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

export function awsErrorCode(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as AwsErrorShape;
  return e.Code ?? e.code ?? e.name;
}

export function httpStatusOf(err: unknown): number | undefined {
  return (err as AwsErrorShape | undefined)?.$metadata?.httpStatusCode;
}

export function classifyAwsError(err: unknown): AwsErrorClass {
  const code = awsErrorCode(err);
  if (code && NOT_FOUND_CODES.has(code)) return 'not-found';
  if (code && (TRANSIENT_CODES.has(code) || NETWORK_CODES.has(code))) return 'transient';
  if (code === 'TimeoutError' || code === 'RequestTimeout') return 'transient';
  const status = httpStatusOf(err);
  if (status !== undefined && (status >= 500 || status === 429)) return 'transient';
  if (status === undefined) return 'transient'; // no answer at all: network trouble
  return 'final';
}

export function isAbortError(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  return name === 'AbortError' || name === 'CancelledFailure';
}

/** Refused by our own checks before AWS was asked to create anything. */
export class Ec2InputError extends Error {
  override readonly name = 'Ec2InputError';
  constructor(
    readonly reason: 'unsupported-arch' | 'bad-name' | 'unknown-region' | 'invalid-input' | 'snapshot-too-large' | 'source-missing',
    message: string,
  ) {
    super(message);
  }
}

/** An image or snapshot reached a state it will not leave (failed, error, deregistered). */
export class Ec2ResourceStateError extends Error {
  override readonly name = 'Ec2ResourceStateError';
  constructor(
    readonly resourceId: string,
    readonly state: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The region's "image block public access" setting forbids public images. Final: only the
 * account's owner can lift it (the message says how); retrying changes nothing.
 */
export class Ec2PublicSharingBlockedError extends Error {
  override readonly name = 'Ec2PublicSharingBlockedError';
  constructor(readonly region: string) {
    super(
      `region ${region} blocks public AMIs: the account's "image block public access" setting is block-new-sharing. ` +
        `Turn it off with \`aws ec2 disable-image-block-public-access --region ${region}\` (it can take 10 minutes), then retry this region.`,
    );
  }
}

export function describeAwsError(err: unknown): string {
  const code = awsErrorCode(err);
  const status = httpStatusOf(err);
  const msg = err instanceof Error ? err.message : String(err);
  return `${code ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${msg.split('\n')[0]}`;
}
