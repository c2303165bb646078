// The chaos run, small: two releases (started 40 s apart) on a private stack (its own ports and state folder) while the
// worker is SIGKILLed twice, the Temporal dev server and RabbitMQ are restarted once each, and
// 20% of the calls to Koji, AWS and Glance fail. Every invariant must hold afterwards, each read
// from the services themselves (see scripts/chaos/invariants.ts). A failure prints the seed and
// the full report, so the same run can be made again with `npm run chaos -- --seed N …`.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/stack/paths';
import { formatReport } from '../../scripts/chaos/report';
import { runChaos } from '../../scripts/chaos/run';

const seed = Number(process.env.FEDIMG_CHAOS_SEED ?? 11);

describe('chaos: releases under worker kills, service restarts and 20% faults', () => {
  it(
    'publishes everything exactly once and announces every message (seed ' + String(seed) + ')',
    async () => {
      const report = await runChaos({
        releases: 2,
        seed,
        kills: 2,
        faultRate: 0.2,
        // Apart from the default stack (+0) and `npm run chaos` (+100), so none of them collide.
        portOffset: 200,
        stackDir: join(REPO_ROOT, '.stack', 'chaos-ci'),
        gapSeconds: [4, 12],
        startSpreadSeconds: 40,
        // Typically 5-7 minutes; Glance's retries back off at most a minute apart (arch-pipeline).
        timeoutMinutes: 15,
        keep: false,
        log: (l) => console.log(`[chaos] ${l}`),
      });
      console.log(formatReport(report));
      // The run really was chaotic: every disruption hit a running release, faults were injected.
      expect(report.disruptions.filter((d) => !d.skipped).map((d) => d.kind).sort()).toEqual(['kill worker', 'kill worker', 'restart rabbitmq', 'restart temporal']);
      for (const p of report.proxies) expect(p.injected, `${p.service}: no fault was injected`).toBeGreaterThan(0);
      expect(report.invariants.filter((i) => !i.ok).map((i) => `${i.name}: ${i.counts}; ${i.problems.join('; ')}`)).toEqual([]);
    },
    20 * 60_000,
  );
});
