// The contract every service of the local stack fulfils.
export interface StackService {
  name: string;
  /** Where a person points a browser or client. */
  address: string;
  /** Installs or builds what is missing; a no-op on a warm machine. */
  ensureInstalled(log: (line: string) => void): Promise<void>;
  start(): Promise<void>;
  healthy(): Promise<boolean>;
  stop(): Promise<string>;
  /** Seconds a cold start may take before it counts as failed. */
  startTimeoutS: number;
}

export class ServiceStartError extends Error {
  override name = 'ServiceStartError';
  constructor(
    readonly service: string,
    readonly reason: string,
    readonly log: string,
  ) {
    super(`${service} did not start: ${reason} (log: ${log})`);
  }
}
