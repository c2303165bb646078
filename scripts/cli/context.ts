// What every command gets: the config (loaded on first use), a Temporal session (connected on
// first use, closed by the runner), where to write, and the clock. Tests pass their own.
import type { Client } from '@temporalio/client';
import type { Config } from '../../config';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Redraw in place (status --watch) only on a terminal. */
  isTTY: boolean;
}

export interface TemporalSession {
  client: Client;
  address: string;
  namespace: string;
  close(): Promise<void>;
}

export interface CliDeps {
  config(): Config;
  connect(config: Config): Promise<TemporalSession>;
  io: Io;
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** status --watch redraw period. */
  watchIntervalMs: number;
  /** Who runs the command, for pause notes. */
  user: string;
}

/** One command run: its deps, whether output is JSON, and the session once connected. */
export class CommandContext {
  private session: TemporalSession | undefined;
  private configValue: Config | undefined;

  constructor(
    readonly deps: CliDeps,
    readonly json: boolean,
  ) {}

  get config(): Config {
    this.configValue ??= this.deps.config();
    return this.configValue;
  }

  get io(): Io {
    return this.deps.io;
  }

  async temporal(): Promise<TemporalSession> {
    this.session ??= await this.deps.connect(this.config);
    return this.session;
  }

  /** Address and namespace for error messages, whether or not a session exists yet. */
  connected(): TemporalSession | undefined {
    return this.session;
  }

  /** Writes the result: the JSON document with --json, else the text. */
  emit(json: unknown, text: () => string): void {
    if (this.json) this.io.out(`${JSON.stringify(json, null, 2)}\n`);
    else {
      const t = text();
      if (t) this.io.out(t.endsWith('\n') ? t : `${t}\n`);
    }
  }

  async close(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    await s?.close();
  }
}
