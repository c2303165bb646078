// Waiting on a group of processes and streams that work together (tar | xz > file): on the first
// failure the rest are stopped, every member is awaited (so no process outlives the call), and the
// most telling error is thrown: the cause, not the broken pipes and kills that followed from it.
import { ToolFailedError } from './errors';

function isConsequence(err: unknown, killedByUs: boolean): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED' || code === 'ECONNRESET') return true;
  return killedByUs && err instanceof ToolFailedError && err.signal === 'SIGKILL';
}

export async function firstFailure(members: readonly Promise<unknown>[], stopOthers: () => void): Promise<unknown[]> {
  const errors: unknown[] = [];
  let stopped = false;
  const settled = await Promise.allSettled(
    members.map((p) =>
      p.catch((err: unknown) => {
        errors.push(err);
        if (!stopped) {
          stopped = true;
          stopOthers();
        }
        throw err;
      }),
    ),
  );
  if (errors.length === 0) return settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
  throw errors.find((e, i) => !isConsequence(e, i > 0)) ?? errors[0];
}
