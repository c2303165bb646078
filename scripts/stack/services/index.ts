// The local stack, in start order. Later parts of the pipeline add their services here.
import type { Config } from '../../../config';
import type { StackService } from '../service';
import { catalogueService } from './catalogue';
import { kojiSimService } from './koji-sim';
import { awsFrontService, motoService } from './moto';
import { openstackServices } from './openstack';
import { postgresService } from './postgres';
import { rabbitmqService } from './rabbitmq';
import { temporalService } from './temporal';
import { workerService } from './worker';

/** Infrastructure first; the worker last, since it needs the rest to be reachable. */
export function stackServices(config: Config, { withWorker = true } = {}): StackService[] {
  const infra = [temporalService(config), motoService(config), awsFrontService(config), rabbitmqService(config), postgresService(), kojiSimService(config), ...openstackServices(config), catalogueService(config)];
  return withWorker ? [...infra, workerService(config)] : infra;
}
