// Pieces every message schema shares: severities as Fedora Messaging numbers them, the fields
// that say which image a message is about, and how a release becomes the integer messages carry.
import { z } from 'zod';
import { ARCHES } from '../arches';

/** fedora_messaging.message.DEBUG / INFO / WARNING / ERROR. */
export const SEVERITY = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 } as const;
export type Severity = (typeof SEVERITY)[keyof typeof SEVERITY];
export const severitySchema = z.union([z.literal(10), z.literal(20), z.literal(30), z.literal(40)]);

/** domain/arches.ts, under the name messages have always used. */
export const MESSAGE_ARCHES = ARCHES;
export const architecture = z.enum(ARCHES).describe('The machine architecture of the image (x86_64, aarch64, etc).');

/** The same values as domain/build-names IMAGE_KINDS (a unit test keeps them equal). */
export const MESSAGE_BUILD_KINDS = ['nightly', 'weekly', 'rc', 'respin'] as const;

export const releaseNumber = z
  .number()
  .int()
  .positive()
  .describe('The release number associated with the image. Rawhide carries the number it will have when it branches (see README of the bus).');

export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a lower-case hex SHA-256').describe('Lower-case hex SHA-256.');
export const httpsUrl = z.url({ protocol: /^https?$/ });
export const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1');
export const amiId = z.string().regex(/^ami-[0-9a-f]{8,17}$/, 'an AMI id such as ami-0123456789abcdef0');
export const safeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+~-]*$/, 'letters, digits, ".", "_", "+", "~" or "-"');

/** Which image a fedimg.* message is about: the same six fields on every one of them. */
export const imageIdentity = {
  family: safeName.describe('The image family from the settings, e.g. Cloud-Base-Generic.'),
  subvariant: safeName.describe('The subvariant of the image (e.g. Cloud_Base).'),
  release: releaseNumber,
  version: z
    .string()
    .regex(/^[A-Za-z0-9_.]+$/)
    .describe('The release as builds name it: "Rawhide", "44", "42_Beta".'),
  compose_id: z.string().min(1).describe('The compose-style id of the build, e.g. Fedora-Rawhide-20261122.n.0.'),
  build_kind: z.enum(MESSAGE_BUILD_KINDS).describe('nightly, weekly, rc (release candidate) or respin.'),
};

/**
 * The integer a message carries in `release`. Fedora's schemas require an integer and Rawhide has
 * none of its own: it is given the number it will have when it next branches (the settings'
 * `bus.rawhideRelease`, e.g. 46 while Fedora 45 is the newest branch), as Bodhi and the Rawhide
 * compose metadata do. Consumers that must tell Rawhide apart read `compose_id` ("Fedora-Rawhide-…")
 * or, on fedimg.* messages, `version` ("Rawhide").
 */
export function messageRelease(release: string | number, rawhideRelease: number): number {
  if (typeof release === 'number') return checkRelease(release, String(release));
  const r = release.trim();
  if (r.toLowerCase() === 'rawhide') return checkRelease(rawhideRelease, 'bus.rawhideRelease');
  const m = /^(\d+)(?:[_-].*)?$/.exec(r);
  if (!m) throw new Error(`release "${release}" is neither a number nor "rawhide"`);
  return checkRelease(Number(m[1]), release);
}

function checkRelease(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`release ${what} is not a positive integer`);
  return n;
}

/** One word of a routing key: no dots, no AMQP wildcards, no spaces. */
export function topicWord(s: string | number): string {
  const w = String(s).replace(/[^A-Za-z0-9_-]/g, '_');
  if (w === '') throw new Error('an empty topic word');
  return w;
}
