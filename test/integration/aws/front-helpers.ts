// A private moto behind an AWS front of the test's own (sim/aws-front), with a clock the test
// moves: deprecation times and the deregistration cooldown pass without waiting. Private, so the
// block-public-access state a test sets never reaches another test or the demo.
import { EC2Client, RegisterImageCommand, CreateTagsCommand } from '@aws-sdk/client-ec2';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createAwsClients, type AwsClients } from '../../../clients/aws/clients';
import { DEFAULT_AMI_USER_KEY, startAwsFront, type AwsFront } from '../../../sim/aws-front/front';
import { startPrivateMoto } from '../../helpers/private-moto';
import { runActivity } from '../../unit/openstack/run-activity';

export const MOTO_ACCOUNT = '123456789012';

export interface FrontWorld {
  front: AwsFront;
  /** The owner's clients (the account that publishes). */
  clients: AwsClients;
  /** A user of the public AMI list, in another account. */
  user(region: string): EC2Client;
  clock: { advance(ms: number): void; now(): number };
  stop(): Promise<void>;
}

export async function startFrontWorld(): Promise<FrontWorld> {
  const moto = await startPrivateMoto();
  let offset = 0;
  const now = () => Date.now() + offset;
  const front = await startAwsFront({ target: moto.url, recordCalls: true, now });
  const clients = createAwsClients({ endpoint: front.url, maxAttempts: 2 });
  const users: EC2Client[] = [];
  return {
    front,
    clients,
    user(region) {
      const c = new EC2Client({ region, endpoint: front.url, credentials: { accessKeyId: DEFAULT_AMI_USER_KEY, secretAccessKey: 'unused-by-moto' } });
      users.push(c);
      return c;
    },
    clock: { advance: (ms) => void (offset += ms), now },
    async stop() {
      users.forEach((u) => u.destroy());
      clients.destroy();
      await front.close();
      moto.stop();
    },
  };
}

/** An AMI registered in moto through the front, with tags; returns its id and root snapshot. */
export async function registerImage(clients: AwsClients, region: string, name: string, tags: Record<string, string> = {}): Promise<{ imageId: string }> {
  const ec2 = clients.ec2(region);
  const { ImageId } = await ec2.send(new RegisterImageCommand({ Name: name, Architecture: 'x86_64', RootDeviceName: '/dev/sda1' }));
  const imageId = ImageId ?? '';
  if (Object.keys(tags).length > 0) await ec2.send(new CreateTagsCommand({ Resources: [imageId], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
  return { imageId };
}

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Runs one activity as Temporal would (with its context), returning its result. */
export function inActivity<P extends unknown[], R>(fn: (...args: P) => Promise<R>, ...args: P): Promise<R> {
  return runActivity(new MockActivityEnvironment({}, { logger: quiet }), fn, ...args);
}

/** The ApplicationFailure an activity threw (fails the test when it succeeded or threw something else). */
export async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(err)}`);
  return err;
}
