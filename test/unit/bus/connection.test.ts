// AMQPS with a client certificate authenticates the way fedora-messaging does: SASL EXTERNAL.
import { describe, expect, it } from 'vitest';
import { connectArgs } from '../../../clients/bus/connection';
import { kojiTaskBinding } from '../../../clients/bus';
import { generateSigningKeyPair } from '../../../clients/bus/keys';
import { loadConfig } from '../../../config/load';
import base from '../../../temporal.config';
import { busPublisherOptions } from '../../../workers/clients-from-config';

const read = (p: string) => Buffer.from(`contents of ${p}`);

describe('connectArgs', () => {
  it('plain AMQP: user and password from the URL, a heartbeat, a connection name', () => {
    const { url, socketOptions } = connectArgs({ url: 'amqp://guest:guest@127.0.0.1:5672/%2F' }, read);
    expect(url).toBe('amqp://guest:guest@127.0.0.1:5672/%2F?heartbeat=30');
    expect(socketOptions).not.toHaveProperty('cert');
    expect(socketOptions.clientProperties).toEqual({ connection_name: 'fedimg' });
  });

  it('AMQPS: CA, certificate and key from their files, EXTERNAL unless turned off', () => {
    const tls = { caFile: '/ca.pem', certFile: '/cert.pem', keyFile: '/key.pem' };
    const { socketOptions } = connectArgs({ url: 'amqps://rabbitmq.example.org/%2Fpubsub', tls }, read);
    expect(socketOptions.ca).toEqual([read('/ca.pem')]);
    expect(socketOptions.cert).toEqual(read('/cert.pem'));
    expect(socketOptions.key).toEqual(read('/key.pem'));
    expect((socketOptions.credentials as { mechanism: string }).mechanism).toBe('EXTERNAL');
    const plain = connectArgs({ url: 'amqps://u:p@h/%2F', tls: { ...tls, externalAuth: false } }, read);
    expect(plain.socketOptions).not.toHaveProperty('credentials');
  });

  it('refuses certificates on a plain amqp:// URL', () => {
    expect(() => connectArgs({ url: 'amqp://h/', tls: { caFile: 'a', certFile: 'b', keyFile: 'c' } }, read)).toThrow(/amqps/);
  });
});

describe('bus settings', () => {
  it('turn into publisher options and the Koji binding', () => {
    const r = loadConfig({ base, env: {} });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    const o = busPublisherOptions(r.config.bus, generateSigningKeyPair().privatePem);
    expect(o).toMatchObject({ exchange: 'amq.topic', topicPrefix: 'org.fedoraproject.local', confirmTimeoutMs: 30_000, signing: { keyId: 'fedimg-local-1' } });
    expect(o).not.toHaveProperty('priority');
    expect(kojiTaskBinding(r.config.bus)).toBe('org.fedoraproject.local.buildsys.task.state.change');
    expect(r.config.bus.rawhideRelease).toBeGreaterThan(40);
  });
});
