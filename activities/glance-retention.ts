// Which of this project's Glance images retention removes: pure, so the plan can be shown
// (dry run) and tested without a cloud.

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
