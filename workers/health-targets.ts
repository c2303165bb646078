// Which services the health activity probes, derived from the settings file.
import type { Config } from '../config';
import type { ProbeTarget } from '../activities/health';

export function healthTargets(config: Config, temporalAddress: string): ProbeTarget[] {
  const bus = new URL(config.bus.url);
  const targets: ProbeTarget[] = [
    { service: 'temporal', target: temporalAddress },
    { service: 'koji-hub', target: config.koji.hubUrl },
    { service: 'rabbitmq', target: `${bus.hostname}:${bus.port || (bus.protocol === 'amqps:' ? '5671' : '5672')}` },
    { service: 'keystone', target: config.openstack.authUrl },
    { service: 'catalogue', target: `${config.catalogue.publicUrl}/healthz` },
  ];
  if (config.aws.endpoint) targets.splice(2, 0, { service: 'aws', target: config.aws.endpoint });
  return targets;
}
