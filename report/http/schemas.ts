// What the HTTP API accepts, as zod schemas (run by validation.ts). Unknown query parameters are
// refused rather than ignored, so a typo ("?arc=x86_64") is a clear 400, not a silent full list.
import { z } from 'zod';
import { ARCHES } from '../../domain/arches';
import { DESTINATION_TYPES, IMAGE_KINDS, IMAGE_STATUSES, KEY_PART } from '../model';

const keyPart = z.string().regex(KEY_PART, 'letters, digits, ".", "_", "+", "~" or "-"').max(200);
const release = z.string().regex(/^(rawhide|[1-9][0-9]{0,3})$/, 'a release number or "rawhide"');

export const imageFilterQuery = z
  .object({
    family: keyPart.optional(),
    release: release.optional(),
    arch: z.enum(ARCHES).optional(),
    kind: z.enum(IMAGE_KINDS).optional(),
    status: z.enum(IMAGE_STATUSES).optional(),
    destination: z.enum(DESTINATION_TYPES).optional(),
  })
  .strict();
export type ImageFilterQuery = z.infer<typeof imageFilterQuery>;

export const historyQuery = imageFilterQuery
  .extend({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    before: z.iso.datetime({ offset: true }).optional(),
    before_id: z.string().max(1000).optional(),
  })
  .strict();
export type HistoryQuery = z.infer<typeof historyQuery>;

/** family:release:arch:version, see model imageId. */
export const imageIdParams = z
  .object({
    id: z
      .string()
      .max(1000)
      .refine((id) => {
        const parts = id.split(':');
        return parts.length === 4 && parts.every((p) => KEY_PART.test(p));
      }, 'an image id such as Cloud-Base-Generic:rawhide:x86_64:Rawhide-20261122.n.0'),
  })
  .strict();

export const releaseParams = z.object({ release: z.string().regex(/^[1-9][0-9]{0,3}$/, 'a release number such as 44') }).strict();

export const officialBody = z
  .object({
    /** The candidate that became the release, by version ("44-1.7") or compose id ("Fedora-44-1.7"). */
    version: keyPart.optional(),
    compose_id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a compose id such as Fedora-44-1.7').max(200).optional(),
    /** Only this family's build (default: every family built from that candidate). */
    family: keyPart.optional(),
    /** The Fedora account of whoever marks it (carried in the bus message). */
    by: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+~-]*$/, 'a Fedora account name').max(100),
    note: z.string().trim().max(2000).optional(),
  })
  .strict()
  .refine((b) => b.version !== undefined || b.compose_id !== undefined, { message: 'give "version" or "compose_id" of the candidate', path: ['version'] });
export type OfficialBody = z.infer<typeof officialBody>;
