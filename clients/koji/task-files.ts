// Where a task's output files are: the ONLY place file URLs come from. A URL, host or path is
// never taken from a bus message or a task result (both are data anyone upstream could shape);
// it is built from the configured topurl and the task id, and the file name must be a plain name.
//   <topurl>[/vol/<volume>]/work/tasks/<id % 10000>/<id>/<file>
// Scratch image builds are moved to scratch/<owner>/task_<id>/ and symlinked back, so this URL
// keeps working for them.
import { KojiError } from './errors';

/** A file name or volume that could leave the task directory (or is not a name at all). */
export class KojiUnsafeFileName extends KojiError {
  override name = 'KojiUnsafeFileName';
}

// C0 controls, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
const VOLUME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Throws unless `name` is a plain file name: non-empty, no `/` or `\`, no `..`, no control characters. */
export function assertSafeTaskFileName(name: string): void {
  if (typeof name !== 'string' || name === '') throw new KojiUnsafeFileName('empty task file name');
  if (name === '.') throw new KojiUnsafeFileName('"." is not a file name');
  if (name.includes('/') || name.includes('\\')) throw new KojiUnsafeFileName(`task file name contains a path separator: ${JSON.stringify(name)}`);
  if (name.includes('..')) throw new KojiUnsafeFileName(`task file name contains "..": ${JSON.stringify(name)}`);
  if (CONTROL.test(name)) throw new KojiUnsafeFileName(`task file name contains a control character: ${JSON.stringify(name)}`);
}

/** `work/tasks/<id % 10000>/<id>` (koji.pathinfo.taskrelpath). */
export function taskRelPath(taskId: number): string {
  if (!Number.isSafeInteger(taskId) || taskId <= 0) throw new KojiUnsafeFileName(`not a task id: ${String(taskId)}`);
  return `work/tasks/${taskId % 10000}/${taskId}`;
}

/** The URL of one output file of a task, on the files server configured as `topUrl`. */
export function taskFileUrl(topUrl: string, taskId: number, fileName: string, volume?: string): string {
  assertSafeTaskFileName(fileName);
  const base = new URL(topUrl);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new KojiUnsafeFileName(`topurl must be http(s): ${topUrl}`);
  if (base.search !== '' || base.hash !== '') throw new KojiUnsafeFileName(`topurl must not carry a query or fragment: ${topUrl}`);
  let prefix = base.href.replace(/\/+$/, '');
  if (volume !== undefined && volume !== 'DEFAULT') {
    if (!VOLUME.test(volume) || volume.includes('..')) throw new KojiUnsafeFileName(`not a volume name: ${JSON.stringify(volume)}`);
    prefix += `/vol/${volume}`;
  }
  return `${prefix}/${taskRelPath(taskId)}/${encodeURIComponent(fileName)}`;
}
