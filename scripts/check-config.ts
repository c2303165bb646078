// `npm run config:check`: load and validate the settings as a process would, print a summary.
// A bad config prints every problem and exits 2 (see config/index.ts).
import { getConfig } from '../config';

const config = getConfig();
console.log(
  `configuration OK: ${config.families.length} image famil${config.families.length === 1 ? 'y' : 'ies'}, ` +
    `${config.families.reduce((n, f) => n + f.schedules.length, 0)} schedules, ` +
    `${config.aws.regions.length} EC2 regions, Temporal ${config.temporal.address} (${config.temporal.namespace})`,
);
