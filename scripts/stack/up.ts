// `npm run stack:up`: start (or reuse) the local stack and print where everything is.
import { getConfig } from '../../config';
import { stackUp } from './up-lib';
import { ServiceStartError } from './service';

const config = getConfig();
try {
  const reports = await stackUp(config, { withWorker: !process.argv.includes('--no-worker') });
  for (const r of reports) console.log(`${r.service.padEnd(10)} ${r.state.padEnd(8)} ${r.address}`);
  console.log(`\nTemporal UI: ${config.temporal.uiUrl}`);
} catch (err) {
  if (err instanceof ServiceStartError) {
    console.error(`stack: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
