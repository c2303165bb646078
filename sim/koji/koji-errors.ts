// Faults as the hub raises them. A koji error keeps its own code and a plain message; any other
// Python exception is faultCode 1 with "<class 'X'>: message" in a single call but the bare
// message inside a multiCall (where, unlike a fault stored in a task, it also gets a traceback).
import { KOJI_FAULT } from '../../clients/koji/errors';

/** Koji's fault codes, shared with the client (koji/__init__.py), less the generic 1. */
const { GenericException: _generic, ...codes } = KOJI_FAULT;
export const FAULT_CODES = codes;

export type KojiErrorName = keyof typeof FAULT_CODES;

const NAME_OF_CODE = new Map<number, string>(Object.entries(FAULT_CODES).map(([k, v]) => [v, k]));

export class KojiFault extends Error {
  override name = 'KojiFault';
  constructor(
    readonly faultCode: number,
    message: string,
    /** Python class as a traceback's last line names it: `koji.GenericError`, `ValueError`. */
    readonly pyClass: string,
    /** Re-raised XML-RPC fault (a task's stored fault): no traceback inside a multiCall. */
    readonly isXmlRpcFault = false,
  ) {
    super(message);
  }

  /** faultString of a single call's <fault>. */
  get singleFaultString(): string {
    return this.faultCode === 1 ? `<class '${this.pyClass}'>: ${this.message}` : this.message;
  }
}

export function kojiError(name: KojiErrorName, message: string): KojiFault {
  return new KojiFault(FAULT_CODES[name], message, `koji.${name}`);
}

export const genericError = (m: string) => kojiError('GenericError', m);
export const authError = (m: string) => kojiError('AuthError', m);
export const actionNotAllowed = (m: string) => kojiError('ActionNotAllowed', m);
export const parameterError = (m: string) => kojiError('ParameterError', m);

/** A Python exception that is not a koji error (faultCode 1). */
export function pythonError(pyClass: string, message: string): KojiFault {
  return new KojiFault(1, message, pyClass);
}

/** A fault stored in a task (re-raised by getTaskResult as an XML-RPC fault). */
export function storedFault(code: number, message: string): KojiFault {
  return new KojiFault(code, message, NAME_OF_CODE.has(code) ? `koji.${NAME_OF_CODE.get(code)!}` : 'xmlrpc.client.Fault', true);
}

/** The traceback a multiCall entry carries: Python's layout, source lines left out. */
export function pseudoTraceback(method: string, fault: KojiFault): string[] {
  return [
    'Traceback (most recent call last):\n',
    '  File "kojihub/kojixmlrpc.py", line 366, in multiCall\n    [source line omitted]\n',
    '  File "kojihub/kojixmlrpc.py", line 347, in _dispatch\n    [source line omitted]\n',
    `  File "kojihub/kojihub.py", in ${method}\n    [source line omitted]\n`,
    `${fault.pyClass}: ${fault.message}\n`,
  ];
}
