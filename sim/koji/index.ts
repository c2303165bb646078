// A Koji hub simulator (koji 1.35.3 dialect, checked against reference/koji-wire): XML-RPC at
// POST /kojihub, task output at /kojifiles/, fault controls at /sim/. Production code never
// imports this; tests start it in-process, the local stack runs sim/koji/main.ts.
//
//   const sim = await startKojiSim({ dataDir, users: [{ name: 'fedimg', password, perms: ['image'] }] });
//   sim.hubUrl, sim.topUrl; sim.faults.set({ serverOffline: { next: 2 } }); await sim.close();
import { KojiSim } from './server';
import type { KojiSimOptions } from './options';

export function startKojiSim(options: KojiSimOptions): Promise<KojiSim> {
  return KojiSim.start(options);
}

export { KojiSim } from './server';
export type { TaskSummary } from './server';
export type { FileRequest } from './file-server';
export type { KojiSimOptions, SimUser } from './options';
export { BusAnnouncer, TASK_STATE_CHANGE_TOPIC, TASK_STATE_CHANGE_SCHEMA, TASK_STATE_CHANGE_PACKAGE } from './bus-announcer';
export type { KojiBusOptions } from './bus-announcer';
export type { Timing, FailureSpec } from './engine';
export { TIMING_PRESETS } from './engine';
export type { KojiFaultConfig, Trigger, HttpErrorRule, ResetRule, DelayRule, BuildFailureRule } from './fault-injection';
export { TASK_STATES, STATE_NAMES } from './task-store';
export type { TaskRecord } from './task-store';
export type { MaterializeHook, MaterializeContext } from './artifacts';
export type { PlannedFile, KiwiFormat } from './image-kinds';
export { defaultKiwiFormats, bundleName } from './image-kinds';
export { DiskImageFactory, writeRawDisk, partitionLayout, dataRegions, roundedSize } from './disk-image';
export type { DiskContent, ImageFormat } from './disk-image';
export type { TargetSpec } from './targets';
