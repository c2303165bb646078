// Shared by the bus integration tests: the stack's RabbitMQ, a private topic prefix per test (so
// tests and other processes on the broker never see each other's messages), temporary queues,
// fresh signing keys, and the Python interop script run in the stack's venv.
import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { getConfig } from '../../../config';
import { VENV_DIR } from '../../../scripts/stack/paths';

export const AMQP_URL = getConfig().bus.url;
export const EXCHANGE = 'amq.topic';
export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./fedora_messaging_interop.py', import.meta.url));
export const PYTHON = join(VENV_DIR, 'bin', 'python');

export function uniquePrefix(what: string): string {
  return `test.${what}.${randomUUID().slice(0, 8)}`;
}

export function signingKeys(keyId = 'fedimg-test-1') {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { keyId, privateKey, publicKey, trusted: new Map([[keyId, publicKey]]) };
}

export async function withChannel<T>(fn: (ch: Channel, conn: ChannelModel) => Promise<T>): Promise<T> {
  const conn = await connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    return await fn(ch, conn);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** An exclusive, auto-deleted queue bound to the exchange for `pattern`. */
export async function tempQueue(ch: Channel, pattern: string): Promise<string> {
  const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
  await ch.bindQueue(queue, EXCHANGE, pattern);
  return queue;
}

export async function getMessages(ch: Channel, queue: string, count: number, timeoutMs = 10_000): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count) {
    const m = await ch.get(queue, { noAck: true });
    if (m) out.push(m);
    else if (Date.now() > deadline) throw new Error(`only ${out.length} of ${count} messages arrived on ${queue}`);
    else await new Promise((r) => setTimeout(r, 50));
  }
  return out;
}

export function runInterop(args: string[], timeoutMs = 60_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, '--amqp-url', AMQP_URL, ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`interop script failed: ${err.message}\n${stderr}\n${stdout}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? ''));
      } catch {
        reject(new Error(`interop script printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** Starts the interop script in the background; resolves with its JSON when it exits. */
export function startInterop(args: string[]): { done: Promise<unknown> } {
  const child = spawn(PYTHON, [SCRIPT, '--amqp-url', AMQP_URL, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<unknown>((resolve, reject) => {
    child.on('close', (code) => {
      try {
        const out = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { error?: string };
        if (code !== 0 || out.error) reject(new Error(`interop consumer exited ${code}: ${out.error ?? ''}\n${stderr.slice(-4000)}`));
        else resolve(out);
      } catch {
        reject(new Error(`interop consumer exited ${code} without JSON:\n${stdout}\n${stderr.slice(-4000)}`));
      }
    });
  });
  return { done };
}

/** Until someone consumes `queue` (checkQueue on a missing queue closes the channel: one per try). */
export async function waitForConsumer(conn: ChannelModel, queue: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(`a consumer on ${queue}`, async () => {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    try {
      return (await ch.checkQueue(queue)).consumerCount > 0;
    } catch {
      return false;
    } finally {
      await ch.close().catch(() => undefined);
    }
  }, timeoutMs);
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
