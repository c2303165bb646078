// Keeps the release's progress in workflow state: answers the `progress` query (the CLI's status
// tree) and mirrors the current stage into the ImageStage search attribute, so the Temporal UI's
// list shows where every build is.
import { setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Arch, ArchProgress, ReleaseProgress, StageState } from '../domain/image-release';
import { ImageStage } from '../domain/search-attributes';
import { progressQuery } from './signals';

export class ProgressTracker {
  private readonly state: ReleaseProgress;

  constructor(arches: Arch[]) {
    this.state = { stage: 'starting', arches: arches.map((arch) => ({ arch, stage: 'waiting for build', destinations: {} })) };
    setHandler(progressQuery, () => this.state);
  }

  stage(stage: string): void {
    if (this.state.stage === stage) return;
    this.state.stage = stage;
    upsertSearchAttributes([{ key: ImageStage, value: stage }]);
  }

  koji(taskId: number, state: string): void {
    this.state.kojiTaskId = taskId;
    this.state.kojiState = state;
  }

  arch(arch: Arch): ArchProgress {
    const found = this.state.arches.find((a) => a.arch === arch);
    if (!found) throw new Error(`no progress entry for ${arch}`);
    return found;
  }

  archStage(arch: Arch, stage: string): void {
    this.arch(arch).stage = stage;
  }

  destination(arch: Arch, dest: string, state: StageState, detail?: string): void {
    this.arch(arch).destinations[dest] = detail === undefined ? { state } : { state, detail };
  }

  snapshot(): ReleaseProgress {
    return this.state;
  }
}
