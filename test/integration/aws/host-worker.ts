// A staging host's worker in a process of its own, so a test can kill it (SIGKILL, no graceful
// anything) in the middle of a snapshot upload. Serves only activities on FEDIMG_TEST_QUEUE,
// talking to AWS through FEDIMG_TEST_ENDPOINT (the test's fault proxy).
import { NativeConnection, Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import { getConfig } from '../../../config';
import { temporalTarget } from '../../../config/temporal-connection';
import { createAwsClients } from '../../../clients/aws/clients';
import { createEc2Activities } from '../../../activities/ec2';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const queue = process.env.FEDIMG_TEST_QUEUE;
  const endpoint = process.env.FEDIMG_TEST_ENDPOINT;
  if (!queue || !endpoint) throw new Error('FEDIMG_TEST_QUEUE and FEDIMG_TEST_ENDPOINT are required');
  const target = temporalTarget(getConfig());
  const connection = await NativeConnection.connect({ address: target.connection.address });
  const activities = createEc2Activities({
    clients: createAwsClients({ endpoint, maxAttempts: 6 }),
    snapshot: { parallelism: Number(process.env.FEDIMG_TEST_PARALLELISM ?? 4) },
    heartbeatEveryMs: 200,
  });
  const worker = await Worker.create({ connection, namespace: target.namespace, taskQueue: queue, activities });
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
