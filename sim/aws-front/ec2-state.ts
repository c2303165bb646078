// What the AWS front remembers of the EC2 settings moto does not keep: per region, the account's
// image block public access state; per image, its deprecation time and deregistration
// protection. In memory: the front lives as long as the moto it stands in front of.

export type BlockPublicAccessState = 'block-new-sharing' | 'unblocked';
export type DeregistrationProtection = 'enabled-with-cooldown' | 'enabled-without-cooldown' | 'disabled';

/** AWS keeps an image protected this long after protection with cooldown is turned off. */
export const DEREGISTRATION_COOLDOWN_MS = 24 * 3_600_000;

interface Protection {
  state: DeregistrationProtection;
  /** Set when protection with cooldown was disabled: deregistration is refused until then. */
  cooldownUntilMs?: number;
}

export class Ec2FrontState {
  private readonly blocked = new Map<string, BlockPublicAccessState>();
  private readonly deprecations = new Map<string, number>();
  private readonly protections = new Map<string, Protection>();

  /** `blockedByDefault`: the state of a region nobody set (AWS: new accounts start blocked). */
  constructor(
    private readonly blockedByDefault = false,
    private readonly now: () => number = Date.now,
  ) {}

  blockState(region: string): BlockPublicAccessState {
    return this.blocked.get(region) ?? (this.blockedByDefault ? 'block-new-sharing' : 'unblocked');
  }

  setBlockState(region: string, state: BlockPublicAccessState): void {
    this.blocked.set(region, state);
  }

  /** EC2 rounds DeprecateAt to the nearest minute. */
  deprecate(region: string, imageId: string, at: Date): void {
    this.deprecations.set(key(region, imageId), Math.round(at.getTime() / 60_000) * 60_000);
  }

  undeprecate(region: string, imageId: string): void {
    this.deprecations.delete(key(region, imageId));
  }

  deprecationTime(region: string, imageId: string): Date | undefined {
    const t = this.deprecations.get(key(region, imageId));
    return t === undefined ? undefined : new Date(t);
  }

  /** Deprecated now (its deprecation time has passed). */
  isDeprecated(region: string, imageId: string): boolean {
    const t = this.deprecations.get(key(region, imageId));
    return t !== undefined && t <= this.now();
  }

  protect(region: string, imageId: string, withCooldown: boolean): DeregistrationProtection {
    const state = withCooldown ? 'enabled-with-cooldown' : 'enabled-without-cooldown';
    this.protections.set(key(region, imageId), { state });
    return state;
  }

  unprotect(region: string, imageId: string): DeregistrationProtection {
    const k = key(region, imageId);
    const was = this.protections.get(k);
    if (was?.state === 'enabled-with-cooldown') this.protections.set(k, { state: 'disabled', cooldownUntilMs: this.now() + DEREGISTRATION_COOLDOWN_MS });
    else this.protections.delete(k);
    return 'disabled';
  }

  /** What DescribeImages reports as DeregistrationProtection (AWS: `disabled-until <time>` in the cooldown). */
  protectionText(region: string, imageId: string): string {
    const p = this.protections.get(key(region, imageId));
    if (!p) return 'disabled';
    if (p.cooldownUntilMs !== undefined && p.cooldownUntilMs > this.now()) return `disabled-until ${new Date(p.cooldownUntilMs).toISOString()}`;
    return p.state;
  }

  /** Why DeregisterImage must be refused, or undefined. */
  deregistrationRefusal(region: string, imageId: string): string | undefined {
    const p = this.protections.get(key(region, imageId));
    if (!p) return undefined;
    if (p.state !== 'disabled') return `deregistration protection is enabled for ${imageId}; disable it first (DisableImageDeregistrationProtection)`;
    if (p.cooldownUntilMs !== undefined && p.cooldownUntilMs > this.now()) {
      return `deregistration protection of ${imageId} was disabled with a cooldown; it can be deregistered after ${new Date(p.cooldownUntilMs).toISOString()}`;
    }
    return undefined;
  }

  forget(region: string, imageId: string): void {
    this.deprecations.delete(key(region, imageId));
    this.protections.delete(key(region, imageId));
  }
}

const key = (region: string, imageId: string) => `${region}/${imageId}`;
