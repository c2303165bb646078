// Which host this worker is, for host-affine file work: staged images live on one host's disk,
// and the activities that read them are sent to that host's own task queue.
import { hostname } from 'node:os';

export function hostId(env: NodeJS.ProcessEnv = process.env): string {
  return (env.FEDIMG_HOST_ID ?? hostname()).replace(/[^A-Za-z0-9._-]/g, '-');
}

export function hostTaskQueue(filesQueue: string, id: string): string {
  return `${filesQueue}-${id}`;
}
