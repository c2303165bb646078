// `npm run stack:down`: stop what `stack:up` started, by recorded PID, newest first.
import { getConfig } from '../../config';
import { stackServices } from './services';

for (const s of stackServices(getConfig()).reverse()) {
  console.log(`${s.name.padEnd(10)} ${await s.stop()}`);
}
