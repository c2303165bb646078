// The canonical JSON a signature covers: RFC 8785 (JCS) for the values messages hold: object keys
// sorted by UTF-16 code units, no whitespace, strings and numbers as ECMAScript writes them.
// Signing the canonical form of the parsed body, not its bytes, lets a relay re-encode the JSON
// (as fedora-messaging's own tools do) without breaking the signature.
import { ClientError } from '../client-error';

export class CanonicalJsonError extends ClientError {
  override name = 'CanonicalJsonError';
}

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${value} has no JSON form`);
      // Past 2^53 two different texts parse to one number: a signature must not cover that.
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) throw new CanonicalJsonError(`integer ${value} is beyond 2^53`);
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new CanonicalJsonError(`a ${typeof value} has no JSON form`);
  }
}
