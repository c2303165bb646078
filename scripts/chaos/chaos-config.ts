// The chaos run's own stack: every service on its own port (the default ports plus an offset) and
// every file under its own state folder, so restarting its Temporal and RabbitMQ never touches the
// shared local stack other people use. Two JSON files for FEDIMG_CONFIG_FILE: the stack's (the
// services' real addresses) and the worker's (Koji hub, AWS and Glance through the fault proxies).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import base from '../../temporal.config';
import { loadConfig } from '../../config/load';
import type { Config } from '../../config';

export const CHAOS_FAMILY = 'Cloud-Base-Chaos';

export interface ChaosPorts {
  temporal: number;
  temporalUi: number;
  koji: number;
  /** The AWS front; moto itself listens one above. */
  aws: number;
  amqp: number;
  keystone: number;
  glance: number;
  catalogue: number;
  metrics: number;
}

/** The default stack's ports plus `offset`. */
export function chaosPorts(offset: number): ChaosPorts {
  return {
    temporal: 7233 + offset,
    temporalUi: 8233 + offset,
    koji: 18080 + offset,
    aws: 14566 + offset,
    amqp: 5672 + offset,
    keystone: 15000 + offset,
    glance: 19292 + offset,
    catalogue: 18088 + offset,
    metrics: 9464 + offset,
  };
}

export interface ProxyUrls {
  koji: string;
  aws: string;
  glance: string;
}

export interface ChaosConfigFiles {
  /** For the stack services and for the checks: the services' own addresses. */
  stackFile: string;
  /** For the worker: Koji's hub, AWS and Glance through the fault proxies. */
  workerFile: string;
  stack: Config;
  worker: Config;
}

/** The settings of the chaos stack, shaped like temporal.config.ts (merged over it). */
export function chaosStackSettings(dir: string, ports: ChaosPorts): Record<string, unknown> {
  const local = (p: number) => `http://127.0.0.1:${p}`;
  const family = base.families.find((f) => f.name === 'Cloud-Base-Generic') ?? base.families[0];
  if (!family) throw new Error('temporal.config.ts has no family to base the chaos family on');
  return {
    temporal: { address: `127.0.0.1:${ports.temporal}`, uiUrl: local(ports.temporalUi), workerMetricsAddress: `127.0.0.1:${ports.metrics}` },
    koji: {
      hubUrl: `${local(ports.koji)}/kojihub`,
      topUrl: `${local(ports.koji)}/kojifiles`,
      auth: { method: 'password', password: { file: join(dir, 'secrets', 'koji-password') } },
      // Short polls: the simulator's builds take ~13 s and no Koji message wakes the release here.
      poll: { initialSeconds: 2, maxSeconds: 10 },
    },
    aws: { endpoint: local(ports.aws) },
    openstack: {
      authUrl: `${local(ports.keystone)}/v3`,
      imageEndpoint: local(ports.glance),
      auth: { ...base.openstack.auth, password: { file: join(dir, 'secrets', 'openstack-password') } },
    },
    downloads: { type: 'directory', root: join(dir, 'downloads'), publicUrl: `${local(ports.catalogue)}/downloads`, layout: base.downloads.layout },
    bus: {
      url: `amqp://guest:guest@127.0.0.1:${ports.amqp}/%2F`,
      signing: { keyId: base.bus.signing.keyId, privateKey: { file: join(dir, 'secrets', 'bus-signing-key.pem') } },
      trustedKeys: { [base.bus.signing.keyId]: join(dir, 'secrets', 'bus-signing-key.pub.pem') },
    },
    catalogue: {
      listen: `127.0.0.1:${ports.catalogue}`,
      publicUrl: local(ports.catalogue),
      database: { type: 'sqlite', path: join(dir, 'catalogue.sqlite') },
      adminToken: { file: join(dir, 'secrets', 'catalogue-token') },
    },
    staging: { dir: join(dir, 'staging') },
    families: [
      {
        ...family,
        name: CHAOS_FAMILY,
        // Every destination, both kinds of file: one release touches every service under faults.
        arches: ['x86_64', 'aarch64'],
        outputs: ['qcow2', 'raw.tar.xz'],
        destinations: ['downloads', 'glance', 'ec2'],
        schedules: [],
      },
    ],
  };
}

/** Writes both files under `dir` and returns them loaded and validated. */
export function writeChaosConfigs(dir: string, ports: ChaosPorts, proxies: ProxyUrls): ChaosConfigFiles {
  mkdirSync(dir, { recursive: true });
  const settings = chaosStackSettings(dir, ports);
  const stackFile = join(dir, 'chaos-stack.json');
  const workerFile = join(dir, 'chaos-worker.json');
  writeFileSync(stackFile, `${JSON.stringify(settings, null, 2)}\n`);
  const worker = {
    ...settings,
    koji: { ...(settings.koji as object), hubUrl: `${proxies.koji}/kojihub` },
    aws: { endpoint: proxies.aws },
    openstack: { ...(settings.openstack as object), imageEndpoint: proxies.glance },
  };
  writeFileSync(workerFile, `${JSON.stringify(worker, null, 2)}\n`);
  return { stackFile, workerFile, stack: load(stackFile), worker: load(workerFile) };
}

function load(file: string): Config {
  // Only the file: the caller's FEDIMG__* variables and TEMPORAL_* belong to the shared stack.
  const r = loadConfig({ base, env: { FEDIMG_CONFIG_FILE: file } });
  if (!r.ok) throw new Error(`chaos config ${file} is invalid:\n  ${r.problems.join('\n  ')}`);
  return r.config;
}

/**
 * The environment of every process of the chaos stack: its state folder and config file, and
 * none of the caller's overrides that would point it back at the shared stack.
 */
export function chaosEnv(stackDir: string, configFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('FEDIMG__') || (k.startsWith('TEMPORAL_') && k !== 'TEMPORAL_CLI_PATH') || k === 'FEDIMG_POSTGRES_PORT') continue;
    env[k] = v;
  }
  return { ...env, FEDIMG_STACK_DIR: stackDir, FEDIMG_CONFIG_FILE: configFile };
}
