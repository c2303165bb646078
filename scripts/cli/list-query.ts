// `fedimg list` / `status` filters -> a Temporal visibility query on the pipeline's search
// attributes (domain/search-attributes.ts). Values are checked, not escaped: the list language
// has no portable escape for quotes, and no legitimate value needs one.
import { ARCHES } from '../../domain/arches';
import { IMAGE_KINDS } from '../../domain/build-names';
import { UsageError } from './errors';
import { parseRelease } from './build-request';

export const RELEASE_WORKFLOW_TYPE = 'imageReleaseWorkflow';

export const STATUSES = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
} as const;

export interface ListFilters {
  release?: string[];
  family?: string[];
  kind?: string[];
  stage?: string[];
  arch?: string[];
  kojiTask?: string[];
  status?: string[];
}

function quoted(value: string, field: string): string {
  if (/['"\\]/.test(value) || value.length === 0 || value.length > 200) {
    throw new UsageError(`"${value}" cannot be searched for`, { field, fix: 'give a value without quotes or backslashes' });
  }
  return `'${value}'`;
}

/** `Name = 'a'` for one value, `Name IN ('a', 'b')` for several. */
function clause(attr: string, values: string[]): string {
  return values.length === 1 ? `${attr} = ${values[0]}` : `${attr} IN (${values.join(', ')})`;
}

export function buildListQuery(f: ListFilters): string {
  const parts = [`WorkflowType = '${RELEASE_WORKFLOW_TYPE}'`];
  const add = (attr: string, values: string[] | undefined, check: (v: string) => string) => {
    if (values && values.length > 0) parts.push(clause(attr, [...new Set(values.map(check))]));
  };
  add('FedoraRelease', f.release, (v) => quoted(parseRelease(v, 'release'), 'release'));
  add('ImageFamily', f.family, (v) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v)) throw new UsageError(`"${v}" is not a family name`, { field: 'family', fix: 'give a name such as Cloud-Base-Generic (letters, digits, ".", "_", "-")' });
    return quoted(v, 'family');
  });
  add('ImageKind', f.kind, (v) => {
    if (!(IMAGE_KINDS as readonly string[]).includes(v)) throw new UsageError(`"${v}" is not a build kind`, { field: 'kind', fix: `use one of ${IMAGE_KINDS.join(', ')}` });
    return quoted(v, 'kind');
  });
  add('ImageStage', f.stage, (v) => quoted(v, 'stage'));
  add('Arches', f.arch, (v) => {
    if (!(ARCHES as readonly string[]).includes(v)) throw new UsageError(`"${v}" is not an architecture`, { field: 'arch', fix: `use one of ${ARCHES.join(', ')}` });
    return quoted(v, 'arch');
  });
  add('KojiTaskId', f.kojiTask, (v) => {
    if (!/^[1-9]\d{0,15}$/.test(v)) throw new UsageError(`"${v}" is not a Koji task id`, { field: 'koji-task', fix: 'give the task number, e.g. 141424242' });
    return v;
  });
  add('ExecutionStatus', f.status, (v) => {
    const s = STATUSES[v as keyof typeof STATUSES];
    if (!s) throw new UsageError(`"${v}" is not a workflow status`, { field: 'status', fix: `use one of ${Object.keys(STATUSES).join(', ')}` });
    return `'${s}'`;
  });
  return parts.join(' AND ');
}
