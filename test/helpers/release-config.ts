// A whole-release setup for end-to-end tests and the scale bench: the shipped settings with this
// run's own Koji simulator, task queues, staging and download directories and one test family,
// written as a FEDIMG_CONFIG_FILE (so a worker child process reads exactly the same settings)
// and validated the way every process validates it. Nothing here is shared with the stack's
// worker: its queues, family names and directories are this run's own.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import base from '../../temporal.config';
import { loadConfig } from '../../config/load';
import type { Config } from '../../config';

export interface ReleaseConfigOptions {
  /** Where config.json, staging/ and downloads/ go (a temp dir of the caller). */
  dir: string;
  /** Unique per run: task queues are `<prefix>-<tag>`, `<prefix>-files-<tag>`. */
  tag: string;
  queuePrefix: string;
  koji: { hubUrl: string; topUrl: string; user: string; passwordFile: string };
  family: {
    name: string;
    arches: Config['families'][number]['arches'];
    outputs: Config['families'][number]['outputs'];
    destinations: Config['families'][number]['destinations'];
  };
  /** Default: the shipped aws.regions (five on the local stack). */
  regions?: string[];
  awsEndpoint?: string;
  /**
   * Default: the test run's own (FEDIMG__BUS__TOPIC_PREFIX, set by the integration tests' global
   * setup, which the stack's catalogue does not consume), else the shipped one.
   */
  topicPrefix?: string;
  kojiQueue?: string;
  workerMetricsAddress?: string;
}

export interface ReleaseConfig {
  config: Config;
  /** The overrides as a FEDIMG_CONFIG_FILE. */
  file: string;
  downloadsDir: string;
  stagingDir: string;
}

export function releaseConfig(o: ReleaseConfigOptions): ReleaseConfig {
  const shipped = base.families?.[0];
  if (!shipped || shipped.koji.kind !== 'kiwi') throw new Error('the shipped config has no kiwi family to copy');
  const downloadsDir = join(o.dir, 'downloads');
  const stagingDir = join(o.dir, 'staging');
  const topicPrefix = o.topicPrefix ?? process.env.FEDIMG__BUS__TOPIC_PREFIX;
  const overrides = {
    temporal: {
      taskQueues: { orchestration: `${o.queuePrefix}-${o.tag}`, files: `${o.queuePrefix}-files-${o.tag}` },
      ...(o.workerMetricsAddress ? { workerMetricsAddress: o.workerMetricsAddress } : {}),
    },
    koji: {
      hubUrl: o.koji.hubUrl,
      topUrl: o.koji.topUrl,
      user: o.koji.user,
      // An environment variable nobody sets, so the file (this run's simulator's password) is read.
      auth: { method: 'password', password: { env: 'FEDIMG_TEST_UNSET_KOJI_PASSWORD', file: o.koji.passwordFile } },
      // The simulator's builds take well under a second: poll every second, not every five.
      poll: { initialSeconds: 1, maxSeconds: 2 },
    },
    aws: {
      ...(o.regions ? { regions: o.regions } : {}),
      ...(o.awsEndpoint ? { endpoint: o.awsEndpoint } : {}),
    },
    downloads: { type: 'directory', root: downloadsDir },
    bus: {
      ...(topicPrefix ? { topicPrefix, kojiTopicPrefix: topicPrefix } : {}),
      ...(o.kojiQueue ? { kojiQueue: o.kojiQueue } : {}),
    },
    staging: { dir: stagingDir },
    families: [{ ...structuredClone(shipped), ...o.family, schedules: [] }],
    // No schedules of any kind: this config only runs releases started by the caller (and the
    // shipped retention schedules name families this config does not have).
    ...('retention' in base ? { retention: { ec2: { schedules: [] }, glance: { schedules: [] } } } : {}),
  };
  const file = join(o.dir, 'config.json');
  writeFileSync(file, `${JSON.stringify(overrides, null, 2)}\n`);
  const r = loadConfig({ base, env: { FEDIMG_CONFIG_FILE: file } });
  if (!r.ok) throw new Error(`test config is invalid:\n${r.problems.join('\n')}`);
  return { config: r.config, file, downloadsDir, stagingDir };
}
