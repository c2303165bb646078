// The "latest image" pointer users resolve as they do for other distributions: an SSM parameter
// in the account's own namespace, per region, of data type aws:ec2:image, whose value is the AMI
// id (e.g. `aws ec2 run-instances --image-id resolve:ssm:/fedora/Cloud-Base-AmazonEC2/44/x86_64/latest`).
// Written only forward: a parameter already naming an image created later (or this one) is left,
// so a re-run or a late region of an older build never points users back in time.
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { awsErrorCode } from './errors';
import { describeImage } from './images';

export interface LatestParameterWrite {
  name: string;
  imageId: string;
  /** The image's CreationDate (ISO), which orders images of one name. */
  creationDate: string;
  /** Shown to users beside the value (e.g. the compose id). */
  description: string;
}

export type LatestParameterOutcome = 'written' | 'unchanged' | 'newer-present';

export async function writeLatestParameter(ssm: SSMClient, ec2: EC2Client, p: LatestParameterWrite, signal?: AbortSignal): Promise<{ outcome: LatestParameterOutcome; previous?: string }> {
  const current = await currentValue(ssm, p.name, signal);
  if (current === p.imageId) return { outcome: 'unchanged', previous: current };
  if (current) {
    const there = await describeImage(ec2, current, signal);
    // An image that is gone (or never was) does not hold its place.
    if (there && there.state !== 'deregistered' && there.creationDate && Date.parse(there.creationDate) > Date.parse(p.creationDate)) {
      return { outcome: 'newer-present', previous: current };
    }
  }
  await ssm.send(
    new PutParameterCommand({ Name: p.name, Value: p.imageId, Type: 'String', DataType: 'aws:ec2:image', Overwrite: true, Description: p.description.slice(0, 1024) }),
    { abortSignal: signal },
  );
  return current ? { outcome: 'written', previous: current } : { outcome: 'written' };
}

async function currentValue(ssm: SSMClient, name: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name }), { abortSignal: signal });
    return out.Parameter?.Value;
  } catch (err) {
    if (awsErrorCode(err) === 'ParameterNotFound') return undefined;
    throw err;
  }
}
