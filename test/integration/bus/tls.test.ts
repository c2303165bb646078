// AMQPS with client certificates, as on Fedora's broker: a private RabbitMQ node (Debian's
// rabbitmq-server, started for this file and stopped after) with a TLS-only listener that
// requires a client certificate, takes the user from its CN (SASL EXTERNAL via
// rabbitmq_auth_mechanism_ssl) and grants per-user topic permissions like
// ^org.fedoraproject.<env>.<app>\..* . The publisher connects with CA, certificate and key files.
import { execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectArgs } from '../../../clients/bus/connection';
import { BusUnavailableError } from '../../../clients/bus/errors';
import { createBusPublisher } from '../../../clients/bus/publisher';
import { verifyMessage } from '../../../clients/bus/signing';
import { signingKeys } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'fedimg-bus-tls-'));
const node = `fedimgbustls${randomInt(1e6)}@localhost`;
const port = 26000 + randomInt(2000);
const env = {
  ...process.env,
  ERL_EPMD_ADDRESS: '127.0.0.1',
  RABBITMQ_NODENAME: node,
  RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
  RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
  RABBITMQ_LOG_BASE: join(dir, 'log'),
  RABBITMQ_PID_FILE: join(dir, 'pid'),
  RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
  RABBITMQ_DIST_PORT: String(port + 2000),
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
};
const ctl = (...args: string[]) => execFileSync('rabbitmqctl', ['-n', node, ...args], { env, stdio: 'pipe', timeout: 120_000 }).toString();
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const file = (n: string) => join(dir, n);
let serverPid: number | undefined;

function makeCertificates(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=fedimg test CA');
  writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const issue = (name: string, cn: string, ca = 'ca') => {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...(name === 'server' ? ['-extfile', 'server.ext'] : []));
  };
  issue('server', 'localhost');
  issue('client', 'fedimg');
  // A certificate from another CA, for the refusal test.
  openssl('req', '-x509', ...ec, '-keyout', 'rogue-ca.key', '-out', 'rogue-ca.pem', '-days', '2', '-subj', '/CN=rogue CA');
  issue('rogue', 'fedimg', 'rogue-ca');
}

beforeAll(async () => {
  mkdirSync(join(dir, 'log'), { recursive: true });
  makeCertificates();
  writeFileSync(
    file('rabbitmq.conf'),
    [
      'listeners.tcp = none',
      `listeners.ssl.default = 127.0.0.1:${port}`,
      `ssl_options.cacertfile = ${file('ca.pem')}`,
      `ssl_options.certfile = ${file('server.pem')}`,
      `ssl_options.keyfile = ${file('server.key')}`,
      'ssl_options.verify = verify_peer',
      'ssl_options.fail_if_no_peer_cert = true',
      'auth_mechanisms.1 = EXTERNAL',
      'ssl_cert_login_from = common_name',
      'loopback_users = none',
      '',
    ].join('\n'),
  );
  writeFileSync(file('enabled_plugins'), '[rabbitmq_auth_mechanism_ssl].\n');
  chmodSync(dir, 0o755);
  // rabbitmq-server drops to the rabbitmq user: its folders must be its own.
  execFileSync('chown', ['-R', 'rabbitmq:rabbitmq', dir]);
  const child = spawn('rabbitmq-server', [], { env, detached: true, stdio: 'ignore' });
  child.unref();
  serverPid = child.pid;
  ctl('wait', '--timeout', '120', file('pid'));
  ctl('add_user', 'fedimg', 'unused');
  ctl('clear_password', 'fedimg');
  // Publish to amq.topic; server-named queues of its own for the test's reader.
  ctl('set_permissions', '-p', '/', 'fedimg', '^amq\\.gen-.*', '^(amq\\.topic|amq\\.gen-.*)$', '^(amq\\.topic|amq\\.gen-.*)$');
  ctl('set_topic_permissions', '-p', '/', 'fedimg', 'amq.topic', '^org\\.fedoraproject\\.test\\.(fedimg|fedora_image_uploader)\\..*', '.*');
}, 240_000);

afterAll(() => {
  try {
    ctl('stop', file('pid'));
  } catch {
    if (serverPid !== undefined) {
      try {
        process.kill(-serverPid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const url = () => `amqps://localhost:${port}/%2F`;
const tls = { caFile: file('ca.pem'), certFile: file('client.pem'), keyFile: file('client.key') };
const message = { topic: 'fedimg.build.finished.v1.Cloud-Base-Generic.46', body: { koji_task_id: 7 }, schema: 'fedimg.build.finished.v1', eventKey: 'build-finished/7' };

describe('AMQPS with a client certificate', () => {
  it('publishes as the certificate CN (SASL EXTERNAL) within its topic permissions', async () => {
    const keys = signingKeys();
    const publisher = createBusPublisher({ url: url(), tls, exchange: 'amq.topic', topicPrefix: 'org.fedoraproject.test', signing: keys, confirmTimeoutMs: 10_000 });
    // A reader on the same broker, over TLS with the same certificate.
    const { url: readerUrl, socketOptions } = connectArgs({ url: url(), tls });
    const reader = await connect(readerUrl, socketOptions);
    try {
      const ch = await reader.createChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, 'amq.topic', 'org.fedoraproject.test.fedimg.#');
      const r = await publisher.publish(message);
      expect(r.routingKey).toBe('org.fedoraproject.test.fedimg.build.finished.v1.Cloud-Base-Generic.46');
      let got = await ch.get(queue, { noAck: true });
      for (let i = 0; !got && i < 50; i++) {
        await new Promise((res) => setTimeout(res, 100));
        got = await ch.get(queue, { noAck: true });
      }
      if (!got) throw new Error('the message did not arrive');
      expect(got.properties.messageId).toBe(r.messageId);
      expect(verifyMessage(got, keys.trusted)).toEqual({ ok: true, keyId: keys.keyId, body: message.body });

      // Outside its topics: refused by the broker (403), reported as retryable, and the publisher
      // recovers for the next message.
      const refused = await publisher.publish({ ...message, topic: 'bodhi.update.comment' }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(BusUnavailableError);
      expect(refused).toMatchObject({ code: 403 });
      expect((refused as Error).message).toMatch(/ACCESS_REFUSED.*fedimg/);
      await expect(publisher.publish(message)).resolves.toMatchObject({ messageId: r.messageId });
    } finally {
      await publisher.close();
      await reader.close();
    }
  });

  it('is refused with a certificate from another CA, or without one', async () => {
    const rogue = createBusPublisher({
      url: url(),
      tls: { caFile: file('ca.pem'), certFile: file('rogue.pem'), keyFile: file('rogue.key') },
      exchange: 'amq.topic',
      topicPrefix: 'org.fedoraproject.test',
      connectTimeoutMs: 5000,
    });
    try {
      await expect(rogue.publish(message)).rejects.toBeInstanceOf(BusUnavailableError);
    } finally {
      await rogue.close();
    }
    const none = createBusPublisher({ url: url(), exchange: 'amq.topic', topicPrefix: 'org.fedoraproject.test', connectTimeoutMs: 5000 });
    try {
      await expect(none.publish(message)).rejects.toBeInstanceOf(BusUnavailableError);
    } finally {
      await none.close();
    }
  });
});
