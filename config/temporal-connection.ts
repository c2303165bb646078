// Temporal connection settings by the @temporalio/envconfig conventions (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TOML profiles), falling back to the
// settings file for what the environment does not say.
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from './schema';

export interface TemporalTarget {
  connection: NativeConnectionOptions & { address: string };
  namespace: string;
}

export function temporalTarget(config: Config): TemporalTarget {
  let fromEnv: ReturnType<typeof loadClientConnectConfig> | undefined;
  try {
    fromEnv = loadClientConnectConfig();
  } catch {
    // No profile file and no variables: the settings file decides alone.
    fromEnv = undefined;
  }
  const opts = fromEnv?.connectionOptions ?? {};
  return {
    connection: { ...opts, address: opts.address ?? config.temporal.address },
    namespace: fromEnv?.namespace ?? config.temporal.namespace,
  };
}
