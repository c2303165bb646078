// Every fault the real hub sent in the recordings maps to the right error class, and only
// ServerOffline and transport failures count as retryable.
import { describe, expect, it } from 'vitest';
import type {
  KojiFault} from '../../../clients/koji';
import {
  FINAL_KOJI_ERROR_NAMES,
  KojiActionNotAllowed,
  KojiAuthError,
  KojiAuthExpired,
  KojiBuildError,
  KojiGenericError,
  KojiNoSuchTarget,
  KojiParameterError,
  KojiProtocolError,
  KojiResponseError,
  KojiRetryError,
  KojiSequenceError,
  KojiServerOffline,
  KojiTransportError,
  faultToError,
  isRetryableKojiError,
} from '../../../clients/koji';
import { decodeResponse, isFaultStruct } from '../../../clients/koji/xmlrpc';
import type { XmlRpcFault } from '../../../clients/koji/xmlrpc';
import { isXmlResponse, loadExchanges } from './wire';

const CLASS_BY_CODE: Record<number, new (...a: never[]) => KojiFault> = {
  1: KojiGenericError,
  1000: KojiGenericError,
  1002: KojiAuthError,
  1004: KojiActionNotAllowed,
  1005: KojiBuildError,
  1007: KojiAuthExpired,
  1008: KojiSequenceError,
  1009: KojiRetryError,
  1014: KojiServerOffline,
  1019: KojiParameterError,
};

/** Top-level faults and failed multicall entries of every recorded response. */
function recordedFaults(): { where: string; fault: XmlRpcFault }[] {
  const out: { where: string; fault: XmlRpcFault }[] = [];
  for (const e of loadExchanges().filter(isXmlResponse)) {
    const where = `${e.file}#${e.index}`;
    const r = decodeResponse(e.response.body!);
    if ('fault' in r) out.push({ where, fault: r.fault });
    else if (e.label.includes('multiCall') || e.label.includes('multicall')) {
      if (Array.isArray(r.value)) for (const entry of r.value) if (isFaultStruct(entry)) out.push({ where: `${where} (multicall entry)`, fault: entry });
    }
  }
  return out;
}

describe('recorded faults', () => {
  const faults = recordedFaults();

  it('cover the codes the hub produced', () => {
    expect(new Set(faults.map((f) => f.fault.faultCode))).toEqual(new Set([1, 1000, 1002, 1004, 1005, 1008, 1009, 1014, 1019]));
  });

  it.each(faults.map((f) => [f.where, f.fault.faultCode, f.fault.faultString.slice(0, 50), f.fault] as const))('%s: %i %s', (_w, code, _s, fault) => {
    const err = faultToError(fault, 'someMethod');
    expect(err).toBeInstanceOf(CLASS_BY_CODE[code]!);
    expect(err.faultCode).toBe(code);
    expect(err.faultString).toBe(fault.faultString);
    expect(err.message).toContain(fault.faultString);
    expect(isRetryableKojiError(err)).toBe(code === 1014);
    if (fault.faultString.startsWith('No such build target: ')) expect(err).toBeInstanceOf(KojiNoSuchTarget);
    else expect(err).not.toBeInstanceOf(KojiNoSuchTarget);
  });
});

describe('error classes', () => {
  it('have stable names (Temporal matches failure types by name)', () => {
    const cases: [Error, string][] = [
      [faultToError({ faultCode: 1014, faultString: 'server is offline' }), 'KojiServerOffline'],
      [faultToError({ faultCode: 1000, faultString: 'No such build target: f99' }), 'KojiNoSuchTarget'],
      [faultToError({ faultCode: 1000, faultString: 'Task 7 is not finished' }), 'KojiGenericError'],
      [faultToError({ faultCode: 1002, faultString: 'x' }), 'KojiAuthError'],
      [faultToError({ faultCode: 1007, faultString: 'x' }), 'KojiAuthExpired'],
      [faultToError({ faultCode: 1004, faultString: 'x' }), 'KojiActionNotAllowed'],
      [faultToError({ faultCode: 1005, faultString: 'x' }), 'KojiBuildError'],
      [faultToError({ faultCode: 1019, faultString: 'x' }), 'KojiParameterError'],
      [faultToError({ faultCode: 1008, faultString: 'x' }), 'KojiSequenceError'],
      [faultToError({ faultCode: 1009, faultString: 'x' }), 'KojiRetryError'],
      [faultToError({ faultCode: 1022, faultString: 'x' }), 'KojiFault'],
      [new KojiTransportError('x', { status: 503 }), 'KojiTransportError'],
      [new KojiProtocolError('x'), 'KojiProtocolError'],
      [new KojiResponseError('m', 'x'), 'KojiResponseError'],
    ];
    for (const [err, name] of cases) {
      expect(err.name).toBe(name);
      expect(err).toBeInstanceOf(Error);
    }
    expect((faultToError({ faultCode: 1000, faultString: 'No such build target: f99' }) as KojiNoSuchTarget).target).toBe('f99');
  });

  it('isRetryableKojiError: only ServerOffline and transport failures, also by name after serialization', () => {
    expect(isRetryableKojiError(new KojiTransportError('reset', { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableKojiError(faultToError({ faultCode: 1014, faultString: 'server is offline' }))).toBe(true);
    expect(isRetryableKojiError({ name: 'KojiServerOffline', message: 'from another process' })).toBe(true);
    for (const code of [1, 1000, 1002, 1004, 1005, 1007, 1008, 1009, 1019]) expect(isRetryableKojiError(faultToError({ faultCode: code, faultString: 'x' }))).toBe(false);
    expect(isRetryableKojiError(new KojiProtocolError('HTTP 400'))).toBe(false);
    expect(isRetryableKojiError(new Error('boom'))).toBe(false);
    expect(isRetryableKojiError(null)).toBe(false);
    expect(FINAL_KOJI_ERROR_NAMES).not.toContain('KojiServerOffline');
    expect(FINAL_KOJI_ERROR_NAMES).not.toContain('KojiTransportError');
  });
});
