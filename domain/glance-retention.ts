// Which of this project's Glance images retention removes. Pure, so the plan can be shown (dry
// run), tested without a cloud, and computed inside a workflow from its deterministic clock.
//
// planGlanceRetention is the age rule (older than N days, but always keep the newest few of each
// family + release + arch). planGlanceNightlyRetention, which the scheduled workflow uses, first
// sets aside everything retention must never touch, whatever a listing returned: images without
// our tag, images Glance marks `protected`, and every kind but nightly (releases, RCs, respins,
// weeklies).

export interface ManagedGlanceImage {
  imageId: string;
  name: string;
  status: string;
  /** ISO 8601, as Glance reports it. */
  createdAt: string;
  size: number | null;
  family: string | undefined;
  release: string | undefined;
  kind: string | undefined;
  buildId: string | undefined;
  arch: string | undefined;
}

export interface RetentionPolicy {
  /** Images older than this many days go (measured from `now`). */
  olderThanDays: number;
  /** Always keep this many newest images per family + release + arch, however old. Default 1. */
  keepLatest?: number;
  /** Epoch milliseconds; the workflow passes its own clock so the plan is deterministic. */
  now: number;
}

export interface RetentionAction {
  action: 'delete' | 'keep';
  imageId: string;
  name: string;
  createdAt: string;
  reason: string;
}

const DAY_MS = 86_400_000;

export function planGlanceRetention(images: ManagedGlanceImage[], policy: RetentionPolicy): RetentionAction[] {
  const keepLatest = policy.keepLatest ?? 1;
  const cutoff = policy.now - policy.olderThanDays * DAY_MS;
  const groups = new Map<string, ManagedGlanceImage[]>();
  for (const img of images) {
    const key = `${img.family ?? '?'}|${img.release ?? '?'}|${img.arch ?? '?'}`;
    groups.set(key, [...(groups.get(key) ?? []), img]);
  }
  const actions: RetentionAction[] = [];
  for (const group of groups.values()) {
    // Newest first; only active images count towards the ones kept.
    const sorted = [...group].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.imageId.localeCompare(a.imageId));
    let keptActive = 0;
    for (const img of sorted) {
      const base = { imageId: img.imageId, name: img.name, createdAt: img.createdAt };
      const created = Date.parse(img.createdAt);
      if (img.status === 'active' && keptActive < keepLatest) {
        keptActive += 1;
        actions.push({ ...base, action: 'keep', reason: `one of the ${keepLatest} newest of ${img.family}/${img.release}/${img.arch}` });
      } else if (Number.isNaN(created)) {
        actions.push({ ...base, action: 'keep', reason: `unreadable created_at ${img.createdAt}` });
      } else if (created < cutoff) {
        const days = Math.floor((policy.now - created) / DAY_MS);
        actions.push({ ...base, action: 'delete', reason: `${days} days old (limit ${policy.olderThanDays})` });
      } else {
        actions.push({ ...base, action: 'keep', reason: `younger than ${policy.olderThanDays} days` });
      }
    }
  }
  return actions.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.imageId.localeCompare(b.imageId));
}

/** A Glance image as the scheduled retention sees it: identity plus what protects it. */
export interface GlanceRetentionImage extends ManagedGlanceImage {
  tags: string[];
  /** Glance's own delete protection (`protected: true`): Glance refuses to delete it anyway. */
  protected: boolean;
  visibility: string;
}

export interface NightlyRetentionPolicy {
  /** This project's tag: the only images retention may touch. */
  tag: string;
  /** The family this plan is for; images of any other family are kept. */
  family: string;
  olderThanDays: number;
  keepLatest: number;
  /** Epoch milliseconds the ages are measured from. */
  nowMs: number;
}

export interface GlanceRetentionDeletion {
  imageId: string;
  name: string;
  createdAt: string;
  ageDays: number;
  release: string | undefined;
  arch: string | undefined;
  buildId: string | undefined;
  reason: string;
}

export interface GlanceRetentionPlan {
  deletions: GlanceRetentionDeletion[];
  kept: Array<{ imageId: string; name: string; reason: string }>;
}

/** Why the scheduled retention must leave this image alone, or undefined when the age rule decides. */
export function glanceProtectionReason(img: GlanceRetentionImage, policy: Pick<NightlyRetentionPolicy, 'tag' | 'family'>): string | undefined {
  if (!img.tags.includes(policy.tag)) return `not tagged ${policy.tag}`;
  if (img.protected) return 'protected in Glance';
  if (img.family !== policy.family) return `family is ${img.family ?? 'unknown'}, not ${policy.family}`;
  if (img.kind !== 'nightly') return `kind is ${img.kind ?? 'unknown'}, only nightlies expire`;
  return undefined;
}

export function planGlanceNightlyRetention(images: GlanceRetentionImage[], policy: NightlyRetentionPolicy): GlanceRetentionPlan {
  const plan: GlanceRetentionPlan = { deletions: [], kept: [] };
  const candidates: GlanceRetentionImage[] = [];
  for (const img of images) {
    const why = glanceProtectionReason(img, policy);
    if (why) plan.kept.push({ imageId: img.imageId, name: img.name, reason: why });
    else candidates.push(img);
  }
  const byId = new Map(candidates.map((i) => [i.imageId, i]));
  for (const a of planGlanceRetention(candidates, { olderThanDays: policy.olderThanDays, keepLatest: policy.keepLatest, now: policy.nowMs })) {
    const img = byId.get(a.imageId);
    if (a.action === 'keep' || !img) {
      plan.kept.push({ imageId: a.imageId, name: a.name, reason: a.reason });
      continue;
    }
    plan.deletions.push({
      imageId: img.imageId,
      name: img.name,
      createdAt: img.createdAt,
      ageDays: Math.floor((policy.nowMs - Date.parse(img.createdAt)) / DAY_MS),
      release: img.release,
      arch: img.arch,
      buildId: img.buildId,
      reason: `nightly ${a.reason}`,
    });
  }
  return plan;
}
