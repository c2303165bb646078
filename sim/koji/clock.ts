// Time as the hub shows it: microseconds since the epoch inside, and on the wire a string
// `2026-11-22 01:55:57.940822+00:00` (Python's str() of an aware datetime, which drops the
// fraction when it is zero) next to a double of epoch seconds in the `*_ts` field.
import { asDouble } from '../../clients/koji/xmlrpc';
import type { XmlRpcDouble } from '../../clients/koji/xmlrpc';

let last = 0;

/** Wall-clock microseconds, strictly increasing within this process (two events never tie). */
export function nowUs(): number {
  const us = Math.round((performance.timeOrigin + performance.now()) * 1000);
  last = us > last ? us : last + 1;
  return last;
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]+00:00` */
export function pyTime(us: number): string {
  const ms = Math.floor(us / 1000);
  const frac = us % 1_000_000;
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const base = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  return frac === 0 ? `${base}+00:00` : `${base}.${String(frac).padStart(6, '0')}+00:00`;
}

/** Epoch seconds as a double (always `<double>`, even when integral). */
export function pyTs(us: number): XmlRpcDouble {
  return asDouble(us / 1e6);
}

/** The (string, double) pair, or (nil, nil). */
export function timePair(us: number | null): [string | null, XmlRpcDouble | null] {
  return us === null ? [null, null] : [pyTime(us), pyTs(us)];
}

/** RFC 7231 date for Last-Modified. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
