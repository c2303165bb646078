// The local stack's AWS endpoint (front.ts): moto behind a front that answers the EC2 calls moto
// does not implement the way EC2 does. Local stack only: production talks to AWS itself.
//   node --import tsx sim/aws-front/main.ts --port 14566 --moto http://127.0.0.1:14567 [--block-public-sharing]
import { parseArgs } from 'node:util';
import { startAwsFront } from './front';

const { values } = parseArgs({ options: { port: { type: 'string' }, moto: { type: 'string' }, 'block-public-sharing': { type: 'boolean' } } });
if (!values.port || !values.moto) {
  console.error('usage: sim/aws-front/main.ts --port <port> --moto <moto url> [--block-public-sharing]');
  process.exit(2);
}
const front = await startAwsFront({ target: values.moto, port: Number(values.port), blockPublicSharingByDefault: values['block-public-sharing'] ?? false });
console.log(`aws-front: ${front.url} -> ${values.moto}`);
const stop = () => void front.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
