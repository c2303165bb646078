// The mirror's activity: runs on the host that staged the image (its files are there).
import { mirrorFiles, type MirrorFile } from './client/mirror-client';

export interface PublishToMirrorInput {
  release: string;
  arch: string;
  files: MirrorFile[];
}

export function createMirrorActivities(deps: { root: string }) {
  return {
    async publishToMirror(input: PublishToMirrorInput): Promise<{ files: Array<{ name: string; path: string; sha256: string }> }> {
      return { files: await mirrorFiles({ root: deps.root, folder: `${input.release}/${input.arch}`, files: input.files }) };
    },
  };
}

export type MirrorActivities = ReturnType<typeof createMirrorActivities>;
