// How long to wait before the next try of a transient failure: exponential back-off with
// jitter, capped. Pure, so it is tested without clocks.

export interface RetryPolicy {
  /** Tries in total, the first included (1 = no retry). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Small on purpose: Temporal's activity retry policy is the outer layer. The python client's
 * 30 tries 20 s apart would keep an activity busy for ten minutes without a heartbeat.
 */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 1000, maxDelayMs: 20_000 };

/** Delay after failed try number `attempt` (1-based): base·2^(attempt-1), capped, in [half, full]. */
export function retryDelayMs(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}
