// How builds are named. Names are derived from the release, the kind and, for scheduled kinds,
// the *scheduled* time (not the actual start), so a slot triggered twice names the same build and
// maps to the same workflow id: one Koji task per slot.
export type ImageKind = 'nightly' | 'weekly' | 'rc' | 'respin';
export const IMAGE_KINDS: readonly ImageKind[] = ['nightly', 'weekly', 'rc', 'respin'];

export interface BuildName {
  /** Koji/kiwi version: "Rawhide" or the release number (RC may say "44_Beta"). */
  version: string;
  /** Koji release label: "20261122.n.0", "20261123.weekly", "1.7", "20261122.0". */
  label: string;
}

/** Characters Koji accepts in version/release labels (no "-", which separates NVR fields). */
export const LABEL_PATTERN = /^[A-Za-z0-9_.+~]+$/;

export function releaseVersion(release: string): string {
  return release === 'rawhide' ? 'Rawhide' : release;
}

/**
 * YYYYMMDD of `d` as a calendar in `timeZone` (an IANA name) shows it. A schedule at 23:30 in
 * New York runs at 04:30 UTC the next day; its build is named after the day it is in New York.
 * Intl is pure (no I/O, same answer for the same instant and tz data), so this is safe in workflows.
 */
export function compactDate(d: Date, timeZone = 'UTC'): string {
  if (timeZone === 'UTC') return d.toISOString().slice(0, 10).replace(/-/g, '');
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(d);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year').padStart(4, '0')}${part('month')}${part('day')}`;
}

/**
 * Nightly and weekly names from the scheduled time, dated in the schedule's time zone (default
 * UTC); rc/respin names come from the operator.
 */
export function scheduledBuildName(kind: 'nightly' | 'weekly', release: string, scheduledAt: Date, timeZone = 'UTC'): BuildName {
  const day = compactDate(scheduledAt, timeZone);
  return { version: releaseVersion(release), label: kind === 'nightly' ? `${day}.n.0` : `${day}.weekly` };
}

/** Fedora's compose-style id carried in messages: Fedora-Rawhide-20261122.n.0, Fedora-44-1.7. */
export function composeId(release: string, name: BuildName): string {
  return `Fedora-${releaseVersion(release)}-${name.label}`;
}

/** One workflow per (family, release, build name); also the idempotency key of the whole run. */
export function imageWorkflowId(family: string, release: string, name: BuildName): string {
  return `image/${family}/${release}/${name.version}-${name.label}`;
}

/** `Fedora-<family>-<version>-<label>.<arch>`: the stem of every published file of one arch. */
export function imageStem(family: string, name: BuildName, arch: string): string {
  return `Fedora-${family}-${name.version}-${name.label}.${arch}`;
}
