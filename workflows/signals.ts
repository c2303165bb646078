// Signals, queries and updates shared by workflows and the programs that talk to them (the Koji
// message consumer, the CLI). Kept apart so callers import names, not workflow code.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ReleaseProgress } from '../domain/image-release';

export interface KojiTaskStateChanged {
  taskId: number;
  /** Koji's state name from the message, e.g. "CLOSED". Only a hint: the workflow asks Koji. */
  state: string;
}

/** Sent by the bus consumer when Koji announces a task state change: "look now". */
export const kojiTaskStateChanged = defineSignal<[KojiTaskStateChanged]>('kojiTaskStateChanged');

/** The release's stage tree with per-arch and per-destination progress, for `status` and the UI. */
export const progressQuery = defineQuery<ReleaseProgress>('progress');
