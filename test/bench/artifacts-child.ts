// Runs our artifact stage alone in this process, so the bench can measure its peak RSS apart from
// the bench itself. Input: one JSON argument (PrepareArtifactsOptions without callbacks).
// Output: one JSON line on stdout: { stageMs, result, maxRssKiB }.
import { prepareArtifacts } from '../../clients/images/artifacts';
import type { PrepareArtifactsOptions } from '../../clients/images/artifacts';

const options = JSON.parse(process.argv[2] ?? '{}') as Omit<PrepareArtifactsOptions, 'signal' | 'onProgress'>;
const phases: Record<string, number> = {};
const started = performance.now();
const result = await prepareArtifacts({
  ...options,
  onProgress: (p) => {
    phases[p.phase] ??= Math.round(performance.now() - started);
  },
});
const stageMs = Math.round(performance.now() - started);
// resourceUsage().maxRSS is this process's own peak resident set, in KiB (children not included).
process.stdout.write(`${JSON.stringify({ stageMs, phases, result, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
