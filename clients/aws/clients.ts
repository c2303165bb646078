// EC2 and EBS clients per region, built once and cached. Credentials come from the SDK's default
// chain on the worker (environment, profile, instance role); they are never configuration or
// workflow input. Two flavours per service:
//  - retrying: the SDK's standard retry strategy (throttling, 5xx, network) for calls that are
//    safe to repeat (describe, tag, modify attribute, put block);
//  - once: no SDK retry, for calls that create something without a usable idempotency token on
//    every backend (RegisterImage has none; moto ignores ClientToken). A lost answer then fails
//    the activity, whose next attempt looks the resource up before creating it again.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { EBSClient } from '@aws-sdk/client-ebs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';

export interface AwsClientOptions {
  /** Endpoint override (moto, a fault proxy); unset means AWS itself. */
  endpoint?: string;
  /** SDK attempts for the retrying flavour (default 5). */
  maxAttempts?: number;
  /** Per-request timeout (default 120 s) so a stalled connection fails instead of hanging. */
  requestTimeoutMs?: number;
  /** Sockets per client; at least the snapshot upload parallelism (default 64). */
  maxSockets?: number;
}

export interface AwsClients {
  ec2(region: string): EC2Client;
  ec2Once(region: string): EC2Client;
  ebs(region: string): EBSClient;
  ebsOnce(region: string): EBSClient;
  /** Parameter Store, for the "latest image" parameters (every call there is safe to repeat). */
  ssm(region: string): SSMClient;
  destroy(): void;
}

export function createAwsClients(opts: AwsClientOptions = {}): AwsClients {
  const cache = new Map<string, EC2Client | EBSClient | SSMClient>();
  const maxSockets = opts.maxSockets ?? 64;
  const requestHandler = {
    requestTimeout: opts.requestTimeoutMs ?? 120_000,
    connectionTimeout: 10_000,
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
  };
  const common = (region: string, once: boolean) => ({
    region,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    maxAttempts: once ? 1 : (opts.maxAttempts ?? 5),
    requestHandler,
  });
  function get<T extends EC2Client | EBSClient | SSMClient>(key: string, make: () => T): T {
    let c = cache.get(key);
    if (!c) {
      c = make();
      cache.set(key, c);
    }
    return c as T;
  }
  return {
    ec2: (region) => get(`ec2:${region}`, () => new EC2Client(common(region, false))),
    ec2Once: (region) => get(`ec2-once:${region}`, () => new EC2Client(common(region, true))),
    ebs: (region) => get(`ebs:${region}`, () => new EBSClient(common(region, false))),
    ebsOnce: (region) => get(`ebs-once:${region}`, () => new EBSClient(common(region, true))),
    ssm: (region) => get(`ssm:${region}`, () => new SSMClient(common(region, false))),
    destroy() {
      for (const c of cache.values()) c.destroy();
      cache.clear();
      requestHandler.httpAgent.destroy();
      requestHandler.httpsAgent.destroy();
    },
  };
}
