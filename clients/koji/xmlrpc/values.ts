// The values the Koji XML-RPC codec speaks, and the two markers Python's client needs that plain
// JavaScript values cannot express: "this integer-valued number is a double" and "this struct
// carries keyword arguments".

/** A value that can travel over Koji's XML-RPC (plain objects are structs, arrays are arrays). */
export type XmlRpcValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | XmlRpcDouble
  | XmlRpcValue[]
  | { [k: string]: XmlRpcValue };

export type XmlRpcStruct = { [k: string]: XmlRpcValue };

/**
 * Forces `<double>` for a number that happens to be integral (Koji's `*_ts` fields,
 * `1795310000.0`). A plain JS number that is an integer is sent as `<int>`/`<i8>`.
 */
export class XmlRpcDouble {
  constructor(readonly value: number) {}
}

export function asDouble(n: number): XmlRpcDouble {
  return new XmlRpcDouble(n);
}

/** The member Koji's python client appends to the trailing struct that carries keyword arguments. */
export const STARSTAR = '__starstar';

/**
 * Keyword arguments as koji.ClientSession sends them: one trailing struct with the keywords (in
 * the given order) and then `__starstar: true`. Members whose value is `undefined` are left out
 * (Python would not have passed them); `null` is sent as `<nil/>`, like a keyword set to None.
 */
export function kwargs(obj: { [k: string]: XmlRpcValue | undefined }): XmlRpcStruct {
  const out: XmlRpcStruct = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v !== undefined) out[k] = v;
  }
  out[STARSTAR] = true;
  return out;
}

/** True for a trailing keyword struct (as the hub sees it: `__starstar` is truthy). */
export function isKwargs(v: XmlRpcValue | undefined): v is XmlRpcStruct {
  return isStruct(v) && Boolean(v[STARSTAR]);
}

export function isStruct(v: XmlRpcValue | undefined): v is XmlRpcStruct {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v) || Buffer.isBuffer(v) || v instanceof XmlRpcDouble) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
