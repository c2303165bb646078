// `npm run demo`, the README's first command: bring the local stack up (or reuse it), check every
// service from the worker's task queues, then run one whole image release on it — a nightly of
// the first family, built by the Koji simulator, converted, published to every destination the
// family names and announced on the bus — and print where to watch it.
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { getConfig } from '../config';
import { desiredSchedules, scheduleIdFor } from './schedules/desired';
import { syncSchedules } from './schedules/sync';
import { temporalTarget } from '../config/temporal-connection';
import { imageWorkflowId, scheduledBuildName } from '../domain/build-names';
import { stackUp } from './stack/up-lib';
import { ServiceStartError } from './stack/service';
import { healthWorkflow, type imageReleaseWorkflow } from '../workflows';

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

// The schedules from the settings, as a deployment has them; then each demo family's nightly
// schedule is triggered now. The scheduled starter names the build from the slot's time and
// starts the release under that name: triggering twice on one day reuses that day's release.
const sync = await syncSchedules(client, desiredSchedules(config).schedules);
console.log(`\nschedules: ${sync.items.map((i) => `${i.scheduleId} ${i.op}`).join(', ')}`);
const name = scheduledBuildName('nightly', 'rawhide', new Date());
const handles = await Promise.all(
  families.map(async (family) => {
    const slot = config.families.find((f) => f.name === family)?.schedules.find((x) => x.kind === 'nightly' && x.release === 'rawhide');
    if (!slot) throw new Error(`family ${family} has no rawhide nightly schedule to trigger`);
    await client.schedule.getHandle(scheduleIdFor(slot.id)).trigger();
    const workflowId = imageWorkflowId(family, 'rawhide', name);
    console.log(`\ntriggered ${scheduleIdFor(slot.id)} -> image release ${workflowId}\n  watch: ${ui(workflowId)}`);
    return waitForWorkflow(workflowId);
  }),
);
let allPublished = true;
for (const handle of handles) {
  const result = await handle.result();
  allPublished &&= result.outcome === 'published';
  console.log(`\n${handle.workflowId}\n  Koji task ${result.kojiTaskId}: ${result.outcome ?? result.status}`);
  for (const a of result.arches) {
    console.log(`  ${a.arch}: ${a.source.file} (${a.source.size} bytes, sha256 ${a.source.sha256.slice(0, 16)}…)`);
    for (const [destination, o] of Object.entries(a.destinations)) {
      const said = o.ok ? describeDetails(o.details) : `${o.skipped ? 'skipped' : 'FAILED'} ${o.error}`;
      console.log(`    ${`${destination}:`.padEnd(10)} ${said.split('\n').join('\n               ')}`);
    }
  }
}
await connection.close();

console.log(`\nTemporal UI:    ${config.temporal.uiUrl}/namespaces/${target.namespace}/workflows`);
console.log(`Catalogue:      ${config.catalogue.publicUrl}/`);
console.log(`CLI:            temporal workflow list --address ${target.connection.address} --query "ImageKind='nightly'"`);
console.log(`Worker metrics: http://${config.temporal.workerMetricsAddress}/metrics`);
if (!allPublished) process.exit(1);

/** The triggered starter creates the release a moment later: wait until it exists. */
async function waitForWorkflow(workflowId: string) {
  const handle = client.workflow.getHandle<typeof imageReleaseWorkflow>(workflowId);
  for (let i = 0; i < 120; i++) {
    try {
      await handle.describe();
      return handle;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`the schedule did not start ${workflowId} within a minute: is the worker running (npm run stack:up)?`);
}

/** A destination's image.complete details, as lines: URLs, ids, region=AMI pairs. */
function describeDetails(details: Record<string, unknown>): string {
  const parts = Object.values(details).map((v) =>
    Array.isArray(v) ? v.join('\n') : v && typeof v === 'object' ? Object.entries(v).map(([k, x]) => `${k}=${String(x)}`).join(' ') : String(v),
  );
  return parts.join('\n') || 'published';
}
