// `fedimg build` options -> the image release to start, or a UsageError naming every bad field
// and its fix. The rules are config/release-input.ts checkReleaseRequest (shared with the
// schedules and, for what needs no config, the workflow's first step); this file only maps
// options to a request and problems to the CLI's error. Pure (the clock is a parameter) so every
// message is unit-tested.
import type { SearchAttributePair } from '@temporalio/common';
import type { Config } from '../../config';
import { checkReleaseRequest } from '../../config/release-input';
import { IMAGE_KINDS, type BuildName, type ImageKind } from '../../domain/build-names';
import type { ImageReleaseInput } from '../../domain/image-release';
import { kindProblem, normalizeRelease, problemLine, releaseProblem, type FieldProblem } from '../../domain/request-rules';
import { Arches, FedoraRelease, ImageFamily, ImageKind as ImageKindAttr } from '../../domain/search-attributes';
import { UsageError } from './errors';

export interface BuildOptions {
  family?: string;
  release?: string;
  kind?: string;
  label?: string;
  version?: string;
  repo?: string[];
  arch?: string[];
  region?: string[];
  scm?: string;
  scratch?: boolean;
}

export interface BuildPlan {
  workflowId: string;
  name: BuildName;
  input: ImageReleaseInput;
  taskQueue: string;
  searchAttributes: SearchAttributePair[];
}

/** One problem: its field and fix as the error's own; several: one line each, every field named. */
export function usageErrorFrom(problems: readonly FieldProblem[]): UsageError {
  const [only] = problems;
  if (problems.length === 1 && only) return new UsageError(only.message, { field: only.field, fix: only.fix });
  return new UsageError(`the request has ${problems.length} problems:\n${problems.map((p) => `  - ${problemLine(p)}`).join('\n')}`, {
    field: [...new Set(problems.map((p) => p.field))].join(', '),
  });
}

export function parseRelease(raw: string | undefined, field = 'release'): string {
  const problem = raw === undefined || raw === '' ? { field, message: 'missing', fix: `give --${field} with a release number such as 44, or "rawhide"` } : releaseProblem(raw, field);
  if (problem) throw usageErrorFrom([problem]);
  return normalizeRelease(raw as string) as string;
}

export function parseKind(raw: string | undefined, allowed: readonly string[] = IMAGE_KINDS, field = 'kind'): ImageKind {
  const problem = raw === undefined || raw === '' ? { field, message: 'missing', fix: `give --${field} ${allowed.join('|')}` } : kindProblem(raw, field, allowed);
  if (problem) throw usageErrorFrom([problem]);
  return raw as ImageKind;
}

export function planBuild(config: Config, opts: BuildOptions, now: Date): BuildPlan {
  const checked = checkReleaseRequest(
    config,
    {
      ...(opts.family !== undefined ? { family: opts.family } : {}),
      ...(opts.release !== undefined ? { release: opts.release } : {}),
      ...(opts.kind !== undefined ? { kind: opts.kind } : {}),
      ...(opts.label !== undefined ? { label: opts.label } : {}),
      ...(opts.version !== undefined ? { version: opts.version } : {}),
      ...(opts.repo !== undefined ? { repos: opts.repo } : {}),
      ...(opts.arch !== undefined ? { arches: opts.arch } : {}),
      ...(opts.region !== undefined ? { regions: opts.region } : {}),
      ...(opts.scm !== undefined ? { scm: opts.scm } : {}),
      ...(opts.scratch !== undefined ? { scratch: opts.scratch } : {}),
    },
    now,
  );
  if (!checked.ok) throw usageErrorFrom(checked.problems);
  const { input, name, workflowId } = checked.release;
  return {
    workflowId,
    name,
    input,
    taskQueue: config.temporal.taskQueues.orchestration,
    searchAttributes: [
      { key: FedoraRelease, value: input.release },
      { key: ImageFamily, value: input.family.name },
      { key: ImageKindAttr, value: input.kind },
      { key: Arches, value: input.family.arches },
    ],
  };
}
