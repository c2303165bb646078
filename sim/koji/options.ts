// Settings of a simulator instance, and their defaults: the recording's setup (admin, a build
// host, target f-target with x86_64 and aarch64) plus the users a caller seeds.
import type { MaterializeHook } from './artifacts';
import type { KojiBusOptions } from './bus-announcer';
import { TIMING_PRESETS } from './engine';
import type { Timing } from './engine';
import { defaultKiwiFormats } from './image-kinds';
import type { KiwiFormat } from './image-kinds';
import type { TargetSpec } from './targets';

export interface SimUser {
  name: string;
  password: string;
  /** e.g. ['image', 'livecd', 'appliance'], or ['admin']. */
  perms?: string[];
}

export interface KojiSimOptions {
  /** Where task output, scratch files and the image cache live (the simulated KojiDir). */
  dataDir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Image cache; default `<dataDir>/cache`. Kept across restarts. */
  cacheDir?: string;
  /** Seeded after `admin` (id 1) and the build host (id 2), in this order. */
  users?: SimUser[];
  /** Password of the seeded `admin` user (admin permission). Default: random. */
  adminPassword?: string;
  /** The build host's user name. Default "builder1" (as in the recording). */
  hostName?: string;
  /** Default: f-target (f-build, f-dest) with x86_64 and aarch64. */
  targets?: TargetSpec[];
  /** A preset or explicit delays. Default "fast". */
  timing?: 'fast' | 'realistic' | Partial<Timing>;
  /** false: builds wait for advance(id, 'open' | 'done'). Default true. */
  autoRun?: boolean;
  /** Logical size of the generated raw disks. Default 64 MiB. */
  imageSizeBytes?: number;
  qcow2Compress?: boolean;
  /** kiwi description's image name (build name `<name>-<profile>`). Default "Fedora". */
  kiwiImageName?: string;
  /** kiwi version when the request names none. Default "Rawhide". */
  kiwiDefaultVersion?: string;
  defaultRelease?: string;
  kiwiFormats?: (profile: string | null, type: string | null) => KiwiFormat[];
  /** Prefix of the paths in the parent's report string. Default /mnt/koji (as recorded). */
  builderTopDir?: string;
  /** Seeds fault decisions and session keys. Default 1. */
  seed?: number;
  /** hub.conf ServerOffline = True: every XML-RPC POST gets fault 1014. */
  offline?: boolean;
  /** Supply some files yourself (tests replay recorded builder bytes). */
  materialize?: MaterializeHook;
  /**
   * Announce scratch builds' parent task state changes on this broker, as Fedora's hub plugin
   * koji-fedoramessaging does (buildsys.task.state.change). Unset: no bus at all.
   */
  bus?: KojiBusOptions;
  log?: (line: string) => void;
}

export interface ResolvedOptions extends Required<Omit<KojiSimOptions, 'materialize' | 'adminPassword' | 'timing' | 'bus'>> {
  timing: Timing;
  bus: KojiBusOptions | undefined;
  adminPassword: string | undefined;
  materialize: MaterializeHook | undefined;
}

export const DEFAULT_TARGETS: TargetSpec[] = [{ name: 'f-target', buildTag: 'f-build', destTag: 'f-dest', arches: ['x86_64', 'aarch64'] }];

export function resolveOptions(o: KojiSimOptions): ResolvedOptions {
  const timing = o.timing === undefined || typeof o.timing === 'string' ? TIMING_PRESETS[o.timing ?? 'fast'] : { ...TIMING_PRESETS.fast, ...o.timing };
  return {
    dataDir: o.dataDir,
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    cacheDir: o.cacheDir ?? `${o.dataDir}/cache`,
    users: o.users ?? [],
    adminPassword: o.adminPassword,
    hostName: o.hostName ?? 'builder1',
    targets: o.targets ?? DEFAULT_TARGETS,
    timing,
    autoRun: o.autoRun ?? true,
    imageSizeBytes: o.imageSizeBytes ?? 64 * 1024 * 1024,
    qcow2Compress: o.qcow2Compress ?? false,
    kiwiImageName: o.kiwiImageName ?? 'Fedora',
    kiwiDefaultVersion: o.kiwiDefaultVersion ?? 'Rawhide',
    defaultRelease: o.defaultRelease ?? '1',
    kiwiFormats: o.kiwiFormats ?? defaultKiwiFormats,
    builderTopDir: o.builderTopDir ?? '/mnt/koji',
    seed: o.seed ?? 1,
    offline: o.offline ?? false,
    materialize: o.materialize,
    bus: o.bus,
    log: o.log ?? (() => {}),
  };
}
