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
// Every family by default (FEDIMG_DEMO_FAMILIES=a,b for a choice): together they reach every destination.
const families = process.env.FEDIMG_DEMO_FAMILIES?.split(',') ?? config.families.filter((f) => f.schedules.length > 0).map((f) => f.name);
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

// Nightlies named from now: running the demo twice on one day reuses that day's releases.
const name = scheduledBuildName('nightly', 'rawhide', new Date());
const handles = await Promise.all(
  families.map(async (family) => {
    const workflowId = imageWorkflowId(family, 'rawhide', name);
    console.log(`\nimage release ${workflowId}\n  watch: ${ui(workflowId)}`);
    return client.workflow.start(imageReleaseWorkflow, {
      taskQueue: orchestration,
      workflowId,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      args: [releaseInput(config, { family, release: 'rawhide', kind: 'nightly', name })],
    });
  }),
);
let allPublished = true;
for (const handle of handles) {
  const result = await handle.result();
  allPublished &&= result.outcome === 'published';
  console.log(`\n${handle.workflowId}\n  Koji task ${result.kojiTaskId}: ${result.outcome ?? result.status}`);
  for (const a of result.arches) {
    console.log(`  ${a.arch}: ${a.source.file} (${a.source.size} bytes, sha256 ${a.source.sha256.slice(0, 16)}…)`);
    if (a.downloads) console.log(`    downloads: ${a.downloads.ok ? a.downloads.value.files.map((f) => f.url ?? f.key).join('\n               ') : `FAILED ${a.downloads.error}`}`);
    if (a.glance) console.log(`    glance:    ${a.glance.ok ? `${a.glance.value.imageId} (${a.glance.value.status})` : `FAILED ${a.glance.error}`}`);
    if (a.ec2) {
      const ec2 = a.ec2;
      console.log(`    ec2:       ${ec2.ok ? `${ec2.value.name}: ${Object.entries(ec2.value.published).map(([r, id]) => `${r}=${id}`).join(' ')}` : `FAILED ${ec2.error}`}`);
    }
  }
}
await connection.close();

console.log(`\nTemporal UI:    ${config.temporal.uiUrl}/namespaces/${target.namespace}/workflows`);
console.log(`Catalogue:      ${config.catalogue.publicUrl}/`);
console.log(`CLI:            temporal workflow list --address ${target.connection.address} --query "ImageKind='nightly'"`);
console.log(`Worker metrics: http://${config.temporal.workerMetricsAddress}/metrics`);
if (!allPublished) process.exit(1);
