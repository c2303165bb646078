// How often the workflow asks Koji about a running task: soon after submission (short tasks and
// failures show up fast), then less often, capped, so an eight-hour build costs a few hundred
// history events at most. A bus message wakes the wait early, so the cap only bounds latency
// when a message is lost.
export function nextPollSeconds(previous: number | undefined, initial: number, max: number): number {
  if (previous === undefined) return Math.min(initial, max);
  return Math.min(Math.ceil(previous * 1.5), max);
}
