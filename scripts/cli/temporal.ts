// The CLI's Temporal connection (envconfig conventions via config/temporal-connection) and the
// Web UI links it prints.
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../../config';
import { temporalTarget } from '../../config/temporal-connection';
import type { TemporalSession } from './context';
import { OperationalError } from './errors';

export async function connectTemporal(config: Config): Promise<TemporalSession> {
  const target = temporalTarget(config);
  const address = target.connection.address;
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...target.connection, connectTimeout: '5s' });
  } catch (err) {
    throw new OperationalError(`cannot reach Temporal at ${address}: ${err instanceof Error ? err.message : String(err)}`, {
      fix: 'start the local stack with `npm run stack:up`, or point TEMPORAL_ADDRESS / temporal.address at your cluster',
    });
  }
  return { client: new Client({ connection, namespace: target.namespace }), address, namespace: target.namespace, close: () => connection.close() };
}

/** `<uiUrl>/namespaces/<ns>/workflows/<encoded id>` */
export function workflowUiUrl(config: Config, namespace: string, workflowId: string): string {
  return `${config.temporal.uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export function scheduleUiUrl(config: Config, namespace: string, scheduleId: string): string {
  return `${config.temporal.uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/schedules/${encodeURIComponent(scheduleId)}`;
}
