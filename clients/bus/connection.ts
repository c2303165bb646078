// Connecting to the broker: plain AMQP for the local stack, AMQPS with a client certificate for
// Fedora's broker. As fedora-messaging does, a client certificate means SASL EXTERNAL: the broker
// takes the user name from the certificate's CN (rabbitmq_auth_mechanism_ssl).
import { readFileSync } from 'node:fs';
import { connect, credentials, type ChannelModel } from 'amqplib';
import { BusUnavailableError } from './errors';

export interface BusTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** SASL EXTERNAL with the certificate (fedora-messaging's behaviour); false: the URL's user/password. Default true. */
  externalAuth?: boolean;
}

export interface BusConnectionOptions {
  /** amqp:// or amqps:// URL; the vhost is its path (%2F for "/"). */
  url: string;
  tls?: BusTls;
  /** Shown in the broker's connection list. */
  connectionName?: string;
  connectTimeoutMs?: number;
  /** AMQP heartbeat in seconds (0: off). Default 30. */
  heartbeatS?: number;
}

export function connectArgs(opts: BusConnectionOptions, read: (p: string) => Buffer = (p) => readFileSync(p)): { url: string; socketOptions: Record<string, unknown> } {
  const u = new URL(opts.url);
  if (u.protocol !== 'amqp:' && u.protocol !== 'amqps:') throw new Error(`bus url must be amqp:// or amqps://, got ${u.protocol}`);
  if (opts.tls && u.protocol !== 'amqps:') throw new Error('bus.tls is set but the url is not amqps://');
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(opts.heartbeatS ?? 30));
  const socketOptions: Record<string, unknown> = {
    timeout: opts.connectTimeoutMs ?? 10_000,
    clientProperties: { connection_name: opts.connectionName ?? 'fedimg' },
  };
  if (opts.tls) {
    socketOptions.ca = [read(opts.tls.caFile)];
    socketOptions.cert = read(opts.tls.certFile);
    socketOptions.key = read(opts.tls.keyFile);
    if (opts.tls.externalAuth !== false) socketOptions.credentials = credentials.external();
  }
  return { url: u.toString(), socketOptions };
}

/** Opens a connection; any failure to reach or log in to the broker is BusUnavailableError. */
export async function openConnection(opts: BusConnectionOptions): Promise<ChannelModel> {
  const { url, socketOptions } = connectArgs(opts);
  try {
    const conn = await connect(url, socketOptions);
    // Without a listener an 'error' event would crash the process; 'close' follows it anyway.
    conn.on('error', () => undefined);
    return conn;
  } catch (err) {
    throw new BusUnavailableError(`cannot connect to the broker at ${redact(opts.url)}: ${describe(err)}`, { cause: err });
  }
}

export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
  }
  return String(err);
}
