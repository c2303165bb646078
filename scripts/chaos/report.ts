// The chaos run's printout: the invariants as a table (✓/✗ with the counts), what went wrong in
// each failed one, the disruptions as they happened and the faults each proxy injected.
import type { ChaosReport } from './run';

export function formatReport(r: ChaosReport): string {
  const o = r.options;
  const lines: string[] = [];
  lines.push(`chaos run: ${o.releases} releases started over ${o.startSpreadSeconds} s, seed ${o.seed}, ${o.kills} worker kills, Temporal and RabbitMQ restarted once, faults on ${Math.round(o.faultRate * 100)}% of calls`);
  lines.push('');
  lines.push('disruptions:');
  for (const d of r.disruptions) {
    lines.push(d.skipped ? `  ${d.kind.padEnd(17)} skipped: ${d.skipped}` : `  t+${String(d.at).padStart(4)}s ${d.kind.padEnd(17)} back in ${d.tookSeconds}s, during: ${d.during}`);
  }
  lines.push('');
  lines.push('faults injected:');
  for (const p of r.proxies) lines.push(`  ${p.service.padEnd(9)} ${String(p.injected).padStart(5)} of ${p.calls} calls (${p.calls ? Math.round((100 * p.injected) / p.calls) : 0}%)`);
  lines.push('');
  const width = Math.max(...r.invariants.map((i) => i.name.length));
  lines.push('invariants:');
  for (const i of r.invariants) {
    lines.push(`  ${i.ok ? '✓' : '✗'} ${i.name.padEnd(width)}  ${i.counts}`);
    for (const p of i.problems.slice(0, 20)) lines.push(`      - ${p}`);
    if (i.problems.length > 20) lines.push(`      … and ${i.problems.length - 20} more`);
  }
  lines.push('');
  lines.push(`releases took ${r.releasesSeconds} s; the whole run ${r.totalSeconds} s. ${r.ok ? 'Every invariant held.' : `${r.invariants.filter((i) => !i.ok).length} invariant(s) FAILED.`}`);
  return lines.join('\n');
}
