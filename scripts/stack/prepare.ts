// Installs or builds everything the local stack needs without starting it (CI's set-up step).
import { getConfig } from '../../config';
import { ensureStackDir } from './paths';
import { stackServices } from './services';

ensureStackDir();

for (const s of stackServices(getConfig())) {
  await s.ensureInstalled((line) => console.log(`prepare: ${line}`));
}
console.log('prepare: the local stack has everything it needs');
