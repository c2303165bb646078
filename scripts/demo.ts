// `npm run demo`, the README's first command: bring the local stack up (or reuse it), check every
// service from the worker's task queues, then run one whole image release on it — a nightly of
// the first family, built by the Koji simulator, converted, published to every destination the
// family names and announced on the bus — and print where to watch it.
import { Client, Connection, WorkflowIdConflictPolicy } from '@temporalio/client';
import { getConfig } from '../config';
import { releaseInput } from '../config/release-input';
import { temporalTarget } from '../config/temporal-connection';
import { imageWorkflowId, scheduledBuildName } from '../domain/build-names';
import { stackUp } from './stack/up-lib';
import { ServiceStartError } from './stack/service';
import { healthWorkflow, imageReleaseWorkflow } from '../workflows';

const config = getConfig();
const family = process.env.FEDIMG_DEMO_FAMILY ?? config.families[0]?.name ?? '';
try {
  const reports = await stackUp(config);
  for (const r of reports) console.log(`  ${r.service.padEnd(10)} ${r.state.padEnd(8)} ${r.address}`);
} catch (err) {
  if (err instanceof ServiceStartError) {
    console.error(`demo: ${err.message}`);
    process.exit(1);
  }
  throw err;
}

const target = temporalTarget(config);
const connection = await Connection.connect(target.connection);
const client = new Client({ connection, namespace: target.namespace });
const ui = (id: string) => `${config.temporal.uiUrl}/namespaces/${target.namespace}/workflows/${encodeURIComponent(id)}`;
const { orchestration, files } = config.temporal.taskQueues;

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const health = await client.workflow.execute(healthWorkflow, {
  taskQueue: orchestration,
  workflowId: `health-${stamp}`,
  args: [{ taskQueues: [orchestration, files] }],
});
const down = health.queues.flatMap((q) => q.probes.filter((p) => !p.ok).map((p) => `${p.service} (${p.detail}) from ${q.taskQueue}`));
console.log(`\nhealth: ${down.length === 0 ? 'every service answers from every task queue' : `DOWN: ${down.join(', ')}`}`);

// A nightly named from now: running the demo twice on one day reuses that day's release.
const name = scheduledBuildName('nightly', 'rawhide', new Date());
const workflowId = imageWorkflowId(family, 'rawhide', name);
const handle = await client.workflow.start(imageReleaseWorkflow, {
  taskQueue: orchestration,
  workflowId,
  workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  args: [releaseInput(config, { family, release: 'rawhide', kind: 'nightly', name })],
});
console.log(`\nimage release ${workflowId}\n  watch: ${ui(workflowId)}`);
const result = await handle.result();
await connection.close();

console.log(`  Koji task ${result.kojiTaskId}: ${result.outcome ?? result.status}`);
for (const a of result.arches) {
  console.log(`  ${a.arch}: ${a.source.file} (${a.source.size} bytes, sha256 ${a.source.sha256.slice(0, 16)}…)`);
  if (a.downloads) console.log(`    downloads: ${a.downloads.ok ? a.downloads.value.files.map((f) => f.url ?? f.key).join('\n               ') : `FAILED ${a.downloads.error}`}`);
  if (a.glance) console.log(`    glance:    ${a.glance.ok ? `${a.glance.value.imageId} (${a.glance.value.status})` : `FAILED ${a.glance.error}`}`);
  if (a.ec2) console.log(`    ec2:       ${a.ec2.ok ? JSON.stringify(a.ec2.value) : `FAILED ${a.ec2.error}`}`);
}
console.log(`\nTemporal UI:    ${config.temporal.uiUrl}/namespaces/${target.namespace}/workflows`);
console.log(`Catalogue:      ${config.catalogue.publicUrl}/`);
console.log(`CLI:            temporal workflow list --address ${target.connection.address} --query "ImageFamily='${family}'"`);
console.log(`Worker metrics: http://${config.temporal.workerMetricsAddress}/metrics`);
if (result.outcome && result.outcome !== 'published') process.exit(1);
