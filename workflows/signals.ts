// Signals, queries and updates shared by workflows and the programs that talk to them (the Koji
// message consumer, the CLI). Kept apart so callers import names, not workflow code.
import { defineSignal } from '@temporalio/workflow';

export interface KojiTaskStateChanged {
  taskId: number;
  /** Koji's state name from the message, e.g. "CLOSED". Only a hint: the workflow asks Koji. */
  state: string;
}

/** Sent by the bus consumer when Koji announces a task state change: "look now". */
export const kojiTaskStateChanged = defineSignal<[KojiTaskStateChanged]>('kojiTaskStateChanged');
