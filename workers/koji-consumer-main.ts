// The Koji message consumer as its own process (`tsx workers/koji-consumer-main.ts`), for hosts
// that run it apart from the worker. SIGINT/SIGTERM stop it after the messages in hand.
import { Client, Connection } from '@temporalio/client';
import { getConfig } from '../config';
import { temporalTarget } from '../config/temporal-connection';
import { startKojiConsumer } from './koji-consumer';
import { busConnectionOptions } from './clients-from-config';

async function main(): Promise<void> {
  const config = getConfig();
  const target = temporalTarget(config);
  const connection = await Connection.connect(target.connection);
  const client = new Client({ connection, namespace: target.namespace });
  const consumer = startKojiConsumer({
    connection: busConnectionOptions(config.bus),
    exchange: config.bus.exchange,
    queue: config.bus.kojiQueue,
    kojiTopicPrefix: config.bus.kojiTopicPrefix,
    client,
    kojiUser: config.koji.user,
    log: (e) => console[e.level === 'info' ? 'log' : e.level](`koji-consumer: ${e.message}`),
  });
  const stop = () => {
    void consumer.stop().then(() => connection.close()).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await consumer.ready;
}

main().catch((err: unknown) => {
  console.error(`koji-consumer: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
