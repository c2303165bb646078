// Koji's faults and transport failures as error classes with stable `name`s (activities map them
// to Temporal failure types by name, so never rename one). Only two kinds are transient:
// ServerOffline (1014: the hub is up but configured offline, also during database outages) and
// transport failures (HTTP 5xx, connection reset, timeout). Every other fault is final: the
// call reached the hub and the hub said no.
import type { XmlRpcFault, XmlRpcValue } from './xmlrpc';

/** Fault codes of koji 1.35 (koji/__init__.py). */
export const KOJI_FAULT = {
  GenericException: 1,
  GenericError: 1000,
  LockError: 1001,
  AuthError: 1002,
  TagError: 1003,
  ActionNotAllowed: 1004,
  BuildError: 1005,
  AuthLockError: 1006,
  AuthExpired: 1007,
  SequenceError: 1008,
  RetryError: 1009,
  PreBuildError: 1010,
  PostBuildError: 1011,
  BuildrootError: 1012,
  FunctionDeprecated: 1013,
  ServerOffline: 1014,
  LiveCDError: 1015,
  PluginError: 1016,
  CallbackError: 1017,
  ApplianceError: 1018,
  ParameterError: 1019,
  ImportError: 1020,
  ConfigurationError: 1021,
  LiveMediaError: 1022,
  GSSAPIAuthError: 1023,
  NameValidationError: 1024,
} as const;

/** Base of everything this client throws on purpose. */
export class KojiError extends Error {
  override name = 'KojiError';
}

/** A fault the hub answered with (HTTP 200, `<fault>`). Codes without a class of their own stay KojiFault. */
export class KojiFault extends KojiError {
  override name = 'KojiFault';
  readonly faultCode: number;
  readonly faultString: string;
  /** The hub method that failed (for multicall entries: the entry's method). */
  readonly method: string | undefined;
  /** Multicall fault entries carry the hub's Python traceback. */
  readonly traceback: string[] | undefined;

  constructor(faultCode: number, faultString: string, method?: string, traceback?: string[]) {
    super(method ? `${method}: ${faultString} (Koji fault ${faultCode})` : `${faultString} (Koji fault ${faultCode})`);
    this.faultCode = faultCode;
    this.faultString = faultString;
    this.method = method;
    this.traceback = traceback;
  }
}

/** 1000, and code 1 (an exception the hub did not expect). */
export class KojiGenericError extends KojiFault {
  override name = 'KojiGenericError';
}

/** GenericError "No such build target: X": a configuration mistake, never transient. */
export class KojiNoSuchTarget extends KojiGenericError {
  override name = 'KojiNoSuchTarget';
  readonly target: string;
  constructor(faultCode: number, faultString: string, target: string, method?: string, traceback?: string[]) {
    super(faultCode, faultString, method, traceback);
    this.target = target;
  }
}

/** 1002 AuthError (bad password, unknown or logged-out session), 1006 AuthLockError, 1023 GSSAPIAuthError. */
export class KojiAuthError extends KojiFault {
  override name = 'KojiAuthError';
}

/** 1007: the session expired. The client logs in again and repeats the call once by itself. */
export class KojiAuthExpired extends KojiAuthError {
  override name = 'KojiAuthExpired';
}

/** 1004: "<perm> permission required (logged in as <user>)", "Cannot cancel task, not owner", … */
export class KojiActionNotAllowed extends KojiFault {
  override name = 'KojiActionNotAllowed';
}

/** 1005 (and a failed task's stored BuildError re-raised by getTaskResult). */
export class KojiBuildError extends KojiFault {
  override name = 'KojiBuildError';
}

/** 1019: a wrong keyword or a missing argument. A bug on our side. */
export class KojiParameterError extends KojiFault {
  override name = 'KojiParameterError';
}

/** 1008: a callnum lower than the last one the hub stored for this session. */
export class KojiSequenceError extends KojiFault {
  override name = 'KojiSequenceError';
}

/**
 * 1009: this callnum was already committed. After a transport retry it means the first attempt
 * DID go through and only its answer was lost: for a submission, look the task up
 * (findExistingTask) instead of submitting again.
 */
export class KojiRetryError extends KojiFault {
  override name = 'KojiRetryError';
}

/** 1014: the hub is offline (maintenance, database outage). Transient: retried. */
export class KojiServerOffline extends KojiFault {
  override name = 'KojiServerOffline';
}

/** HTTP 5xx, connection refused/reset, a timeout: the call may not have reached the hub. Retried. */
export class KojiTransportError extends KojiError {
  override name = 'KojiTransportError';
  /** HTTP status when the hub (or a proxy) answered; undefined for socket-level failures. */
  readonly status: number | undefined;
  /** Node's error code (ECONNRESET, ECONNREFUSED, ETIMEDOUT, …) when there is one. */
  readonly code: string | undefined;
  constructor(message: string, opts: { status?: number; code?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.status = opts.status;
    this.code = opts.code;
  }
}

/** An answer that is not XML-RPC, or an HTTP status other than 200/5xx (400, 404, 405, …). Final. */
export class KojiProtocolError extends KojiError {
  override name = 'KojiProtocolError';
  readonly status: number | undefined;
  constructor(message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.status = opts.status;
  }
}

/** A TLS failure that will not heal by itself (certificate rejected, expired, wrong name). Final. */
export class KojiTlsError extends KojiError {
  override name = 'KojiTlsError';
  readonly code: string | undefined;
  constructor(message: string, opts: { code?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts.code;
  }
}

/** A well-formed answer whose shape is not what this client expects from the method. Final. */
export class KojiResponseError extends KojiError {
  override name = 'KojiResponseError';
  readonly method: string;
  constructor(method: string, detail: string) {
    super(`unexpected answer to ${method}: ${detail}`);
    this.method = method;
  }
}

const NO_SUCH_TARGET = /^No such build target: (.*)$/s;

/** The error class for a fault, by code (and, for GenericError, by its well-known texts). */
export function faultToError(fault: Pick<XmlRpcFault, 'faultCode' | 'faultString'> & { traceback?: XmlRpcValue }, method?: string): KojiFault {
  const { faultCode: code, faultString: text } = fault;
  const tb = Array.isArray(fault.traceback) ? fault.traceback.filter((l): l is string => typeof l === 'string') : undefined;
  switch (code) {
    case KOJI_FAULT.GenericException:
      return new KojiGenericError(code, text, method, tb);
    case KOJI_FAULT.GenericError: {
      const m = NO_SUCH_TARGET.exec(text);
      return m ? new KojiNoSuchTarget(code, text, m[1]!, method, tb) : new KojiGenericError(code, text, method, tb);
    }
    case KOJI_FAULT.AuthError:
    case KOJI_FAULT.AuthLockError:
    case KOJI_FAULT.GSSAPIAuthError:
      return new KojiAuthError(code, text, method, tb);
    case KOJI_FAULT.AuthExpired:
      return new KojiAuthExpired(code, text, method, tb);
    case KOJI_FAULT.ActionNotAllowed:
      return new KojiActionNotAllowed(code, text, method, tb);
    case KOJI_FAULT.BuildError:
      return new KojiBuildError(code, text, method, tb);
    case KOJI_FAULT.ParameterError:
      return new KojiParameterError(code, text, method, tb);
    case KOJI_FAULT.SequenceError:
      return new KojiSequenceError(code, text, method, tb);
    case KOJI_FAULT.RetryError:
      return new KojiRetryError(code, text, method, tb);
    case KOJI_FAULT.ServerOffline:
      return new KojiServerOffline(code, text, method, tb);
    default:
      return new KojiFault(code, text, method, tb);
  }
}

/** Names of the errors worth retrying; usable after an error crossed a serialization boundary. */
export const RETRYABLE_KOJI_ERROR_NAMES: readonly string[] = ['KojiServerOffline', 'KojiTransportError'];

/**
 * Only ServerOffline and transport failures are worth another try; every other fault is the
 * hub's final answer (the python client draws the same line).
 */
export function isRetryableKojiError(err: unknown): boolean {
  if (err instanceof KojiServerOffline || err instanceof KojiTransportError) return true;
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' && RETRYABLE_KOJI_ERROR_NAMES.includes(name);
}

/** Names of all final Koji errors, e.g. for a Temporal retry policy's nonRetryableErrorTypes. */
export const FINAL_KOJI_ERROR_NAMES: readonly string[] = [
  'KojiFault',
  'KojiGenericError',
  'KojiNoSuchTarget',
  'KojiAuthError',
  'KojiAuthExpired',
  'KojiActionNotAllowed',
  'KojiBuildError',
  'KojiParameterError',
  'KojiSequenceError',
  'KojiRetryError',
  'KojiProtocolError',
  'KojiTlsError',
  'KojiResponseError',
];
