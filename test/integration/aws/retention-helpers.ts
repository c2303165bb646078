// What the EC2 retention tests share: the fault proxy in front of moto that makes retention
// possible there at all, and old AMIs made straight in moto.
import { CreateTagsCommand, ModifyImageAttributeCommand, RegisterImageCommand } from '@aws-sdk/client-ec2';
import { ec2Ok, imagesCreatedDaysAgo, startFaultProxy, type FaultProxy } from '../../../sim/fault-proxy';
import { MOTO, direct } from './helpers';

/**
 * moto has no EnableImageDeprecation (answered here as EC2 does) and stamps CreationDate "now":
 * the images whose ids are in `old` (read on each answer, so ids added later count) are shown
 * created 45 days ago.
 */
export function startRetentionProxy(old: ReadonlySet<string>): Promise<FaultProxy> {
  return startFaultProxy({
    target: MOTO,
    rules: [{ name: 'stub EnableImageDeprecation', match: { action: 'EnableImageDeprecation' }, fault: ec2Ok('EnableImageDeprecation') }],
    rewrites: [imagesCreatedDaysAgo(45, (id) => old.has(id))],
  });
}

/** An AMI with these tags registered straight in moto (public when asked); returns its id. */
export async function registerTaggedImage(region: string, name: string, tags: Record<string, string>, opts: { public?: boolean } = {}): Promise<string> {
  const ec2 = direct.ec2(region);
  const { ImageId } = await ec2.send(new RegisterImageCommand({ Name: name, Architecture: 'x86_64', RootDeviceName: '/dev/sda1' }));
  const id = ImageId ?? '';
  await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
  if (opts.public) await ec2.send(new ModifyImageAttributeCommand({ ImageId: id, LaunchPermission: { Add: [{ Group: 'all' }] } }));
  return id;
}
