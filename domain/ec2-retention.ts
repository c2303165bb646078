// Which fedimg-managed images retention may act on, and what it does to each: deprecate, then
// take away public access, then deregister and delete the snapshots. Only nightlies qualify;
// release and RC images, images with deregistration protection (release and RC images get it when
// published) or tagged protected, and anything not tagged managed are never touched, whatever a
// listing returned; each appears in the plan's `kept` with the reason.
import { MANAGED_TAG, PROTECTED_TAG } from './ec2';

export interface ManagedImage {
  region: string;
  imageId: string;
  name: string;
  state: string;
  /** ISO time EC2 reports as CreationDate. */
  creationDate: string;
  /** ISO time, when deprecation is set. */
  deprecationTime?: string;
  /** EC2's DeregistrationProtection: disabled, enabled-with-cooldown, disabled-until <time>, … */
  deregistrationProtection?: string;
  public: boolean;
  snapshotIds: string[];
  tags: Record<string, string>;
}

export type RetentionStep = 'deprecate' | 'make-private' | 'deregister';

export interface RetentionAction {
  region: string;
  imageId: string;
  name: string;
  /** Steps in the order they run. */
  steps: RetentionStep[];
  snapshotIds: string[];
  ageDays: number;
}

export interface RetentionPolicy {
  nowMs: number;
  olderThanDays: number;
  /**
   * Days between stages. 0 (default) takes an old image through all three in one run; with N,
   * an image is deprecated at olderThanDays, made private N days later, removed N days after that.
   */
  stageGapDays?: number;
}

export interface RetentionPlan {
  actions: RetentionAction[];
  kept: Array<{ region: string; imageId: string; name: string; reason: string }>;
}

/** Why retention must leave this image alone, or undefined when it may act. */
export function protectionReason(img: ManagedImage): string | undefined {
  const t = img.tags;
  if (t[MANAGED_TAG] !== 'true') return 'not managed by fedimg';
  // EC2 refuses to deregister it; say so rather than plan a removal that fails.
  const dp = img.deregistrationProtection;
  if (dp && dp !== 'disabled') return `deregistration protection is on (${dp})${t.ImageKind && t.ImageKind !== 'nightly' ? `; kind is ${t.ImageKind}` : ''}`;
  if (t[PROTECTED_TAG] === 'true' || t.Official === 'true' || t['fedimg:official'] === 'true') return 'tagged protected/official';
  if (t.ImageKind !== 'nightly') return `kind is ${t.ImageKind ?? 'unknown'}, only nightlies expire`;
  return undefined;
}

export function planRetention(images: ManagedImage[], policy: RetentionPolicy): RetentionPlan {
  const gap = policy.stageGapDays ?? 0;
  const plan: RetentionPlan = { actions: [], kept: [] };
  for (const img of images) {
    const keep = (reason: string) => plan.kept.push({ region: img.region, imageId: img.imageId, name: img.name, reason });
    const why = protectionReason(img);
    if (why) {
      keep(why);
      continue;
    }
    const created = Date.parse(img.creationDate);
    if (!Number.isFinite(created)) {
      keep('no creation date');
      continue;
    }
    const ageDays = (policy.nowMs - created) / 86_400_000;
    if (ageDays < policy.olderThanDays) {
      keep(`${ageDays.toFixed(1)} days old`);
      continue;
    }
    const steps: RetentionStep[] = [];
    if (!img.deprecationTime || Date.parse(img.deprecationTime) > policy.nowMs) steps.push('deprecate');
    if (ageDays >= policy.olderThanDays + gap && img.public) steps.push('make-private');
    if (ageDays >= policy.olderThanDays + 2 * gap) steps.push('deregister');
    if (steps.length === 0) {
      keep('nothing left to do at this age');
      continue;
    }
    plan.actions.push({ region: img.region, imageId: img.imageId, name: img.name, steps, snapshotIds: img.snapshotIds, ageDays: Math.floor(ageDays) });
  }
  return plan;
}
