// The Glance activities on a real Temporal worker (the stack's dev server) with Temporal's retry
// policy doing the retrying: Glance answering 503 through the fault proxy is retried until the
// image is published (once), and a wrong password fails the first attempt for good.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGlanceActivities, type PublishToGlanceInput } from '../../../activities/glance';
import { GlanceFailureType } from '../../../domain/failures';
import { KeystoneSession } from '../../../clients/openstack';
import { getConfig } from '../../../config';
import { temporalTarget } from '../../../config/temporal-connection';
import { startFaultProxy, type FaultProxy } from '../../../sim/fault-proxy/proxy';
import { testClient, uniqueQueue } from '../../helpers/temporal';
import { config, deleteTagged, ensureOpenstack, glanceClient, makeQcow2, tempDir, uniqueTag, type Qcow2 } from './helpers';
import type { publishAndWaitForGlance } from './workflows';

const tag = uniqueTag('temporal');
let tmp: Awaited<ReturnType<typeof tempDir>>;
let qcow2: Qcow2;
let bundle: Awaited<ReturnType<typeof bundleWorkflowCode>>;
let glanceProxy: FaultProxy;
let keystoneProxy: FaultProxy;

beforeAll(async () => {
  await ensureOpenstack();
  tmp = await tempDir('glance-temporal-');
  qcow2 = await makeQcow2(tmp.dir, 'retry', 6, 64);
  bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  glanceProxy = await startFaultProxy({ target: 'http://127.0.0.1:19292' });
  keystoneProxy = await startFaultProxy({ target: new URL(config().authUrl).origin });
});

afterAll(async () => {
  await glanceProxy?.close();
  await keystoneProxy?.close();
  await deleteTagged(glanceClient(), tag);
  await tmp?.cleanup();
});

const input = (name: string): PublishToGlanceInput => ({
  name,
  qcow2Path: qcow2.path,
  size: qcow2.size,
  sha256: qcow2.sha256,
  arch: 'x86_64',
  release: 'rawhide',
  family: 'Cloud-Base-Generic',
  kind: 'nightly',
  buildId: 'Fedora-Cloud-Base-Generic-Rawhide-20261122.n.0',
  visibility: 'public',
});

/** Runs the test workflow on a worker of its own with these activities; returns result and last attempt. */
async function runWorkflow(activities: object, args: Parameters<typeof publishAndWaitForGlance>) {
  const target = temporalTarget(getConfig());
  const connection = await NativeConnection.connect({ address: target.connection.address });
  const taskQueue = uniqueQueue('glance');
  const worker = await Worker.create({ connection, namespace: target.namespace, taskQueue, workflowBundle: bundle, activities });
  const { client, close } = await testClient();
  try {
    return await worker.runUntil(async () => {
      const handle = await client.workflow.start<typeof publishAndWaitForGlance>('publishAndWaitForGlance', {
        taskQueue,
        workflowId: `glance-${randomUUID()}`,
        args,
      });
      const outcome = await handle.result().then(
        (value) => ({ value, error: undefined }),
        (error: unknown) => ({ value: undefined, error }),
      );
      const history = await handle.fetchHistory();
      const attempts = (history.events ?? [])
        .filter((e) => e.activityTaskStartedEventAttributes)
        .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
      return { ...outcome, attempts };
    });
  } finally {
    await close();
    await connection.close();
  }
}

const GLANCE_503 = {
  kind: 'status' as const,
  status: 503,
  headers: { 'content-type': 'text/html; charset=UTF-8' },
  body: '<html><head><title>503 Service Unavailable</title></head><body><h1>503 Service Unavailable</h1>The server is currently unavailable.<br /><br /></body></html>',
};

describe('Glance activities under Temporal retries', () => {
  it('Glance answering 503 (on the listing, then on the upload) is retried until it succeeds, with one image in the end', async () => {
    const name = `${tag}-503`;
    glanceProxy.resetStats();
    glanceProxy.clearRules();
    glanceProxy.addRule({ name: 'list 503', match: { method: 'GET', path: '/v2/images' }, fault: GLANCE_503, times: 2 });
    glanceProxy.addRule({ name: 'upload 503', match: { method: 'PUT', path: /\/file$/ }, fault: GLANCE_503, times: 1 });
    const activities = createGlanceActivities({ client: glanceClient({ endpoint: glanceProxy.url }), tag });

    const { value, error, attempts } = await runWorkflow(activities, [input(name), { maximumAttempts: 10, pollSeconds: 1, maxPolls: 30 }]);
    expect(error).toBeUndefined();
    expect(value).toMatchObject({ status: 'active', size: qcow2.size, osHashValue: qcow2.sha512 });
    // Attempts 1-2 met the listing's 503, attempt 3 the upload's, attempt 4 went through.
    expect(attempts[0]).toBe(4);
    const byAction = glanceProxy.counters();
    expect(byAction['GET /v2/images']?.injected).toBe(2);
    expect(glanceProxy.calls.filter((c) => c.method === 'PUT' && c.fault).length).toBe(1);
    // The image of attempt 3 was deleted when its upload failed: one image remains.
    const created = glanceProxy.calls.filter((c) => c.method === 'POST' && c.path === '/v2/images').length;
    expect(created).toBe(2);
    const left = await glanceClient().findImages({ name, tag });
    expect(left.map((i) => [i.id, i.status])).toEqual([[value!.imageId, 'active']]);
  });

  it('web-download: the activity returns while Glance imports; the workflow waits with timers until active', async () => {
    const server: Server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(qcow2.size) });
      createReadStream(qcow2.path).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const sourceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pub/retry.qcow2`;
      const activities = createGlanceActivities({ client: glanceClient(), tag, upload: 'web-download' });
      const { value, error } = await runWorkflow(activities, [{ ...input(`${tag}-web`), sourceUrl }, { maximumAttempts: 3, pollSeconds: 1, maxPolls: 60 }]);
      expect(error).toBeUndefined();
      expect(value).toMatchObject({ status: 'active', size: qcow2.size, osHashValue: qcow2.sha512, sha512: qcow2.sha512 });
    } finally {
      server.close();
    }
  });

  it('a wrong password fails the first attempt for good: no retry, one login, the reason shown', async () => {
    keystoneProxy.resetStats();
    const session = new KeystoneSession({
      authUrl: `${keystoneProxy.url}/v3`,
      credentials: { method: 'password', username: 'admin', userDomain: 'default', projectName: 'admin', projectDomain: 'default', password: 'wrong' },
    });
    const activities = createGlanceActivities({ client: glanceClient({ session }), tag });
    const started = performance.now();
    const { error, attempts } = await runWorkflow(activities, [input(`${tag}-denied`), { maximumAttempts: 10, pollSeconds: 1, maxPolls: 3 }]);
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (error as WorkflowFailedError).cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    const cause = (activityFailure as ActivityFailure).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: GlanceFailureType.AuthFailed, nonRetryable: true });
    expect((cause as Error).message).toContain('The request you have made requires authentication.');
    expect(attempts).toEqual([1]);
    expect(keystoneProxy.count('POST /v3/auth/tokens').requests).toBe(1);
  });
});
