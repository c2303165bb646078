// Build targets and their tags and repos, shaped like getBuildTarget's answer and the
// target_info / repo_info arguments kojid passes to its image subtasks.
import { pyTime, pyTs } from './clock';
import { genericError } from './koji-errors';
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';

export interface TargetSpec {
  name: string;
  /** Default `<name minus -target>-build`, e.g. f-target -> f-build. */
  buildTag?: string;
  destTag?: string;
  arches: string[];
}

export interface TargetRecord {
  id: number;
  name: string;
  buildTagId: number;
  buildTagName: string;
  destTagId: number;
  destTagName: string;
  arches: string[];
  /** The build tag's current repo. */
  repoId: number;
}

export class Targets {
  private readonly list: TargetRecord[] = [];

  constructor(
    specs: readonly TargetSpec[],
    /** When the repos were made (µs); whole seconds, like the recording's. */
    private readonly repoCreatedUs: number,
  ) {
    let tagId = 1;
    specs.forEach((t, i) => {
      const stem = t.name.replace(/-target$/, '');
      const buildTagName = t.buildTag ?? `${stem}-build`;
      const destTagName = t.destTag ?? `${stem}-dest`;
      this.list.push({
        id: i + 1,
        name: t.name,
        buildTagId: tagId++,
        buildTagName,
        destTagId: tagId++,
        destTagName,
        arches: [...t.arches],
        repoId: i + 1,
      });
    });
  }

  get(name: string): TargetRecord | undefined {
    return this.list.find((t) => t.name === name);
  }

  byId(id: number): TargetRecord | undefined {
    return this.list.find((t) => t.id === id);
  }

  all(): readonly TargetRecord[] {
    return this.list;
  }

  /** kiwiBuild checks the target on the hub; image tasks only in the builder. */
  require(name: string): TargetRecord {
    const t = this.get(name);
    if (!t) throw genericError(`No such build target: ${name}`);
    return t;
  }

  info(t: TargetRecord): Record<string, XmlRpcValue> {
    return {
      build_tag: t.buildTagId,
      build_tag_name: t.buildTagName,
      dest_tag: t.destTagId,
      dest_tag_name: t.destTagName,
      id: t.id,
      name: t.name,
    };
  }

  repoInfo(t: TargetRecord): Record<string, XmlRpcValue> {
    return {
      id: t.repoId,
      state: 1,
      create_event: t.repoId,
      create_ts: pyTs(this.repoCreatedUs),
      creation_time: pyTime(this.repoCreatedUs),
      tag_id: t.buildTagId,
      tag_name: t.buildTagName,
      dist: false,
    };
  }
}
