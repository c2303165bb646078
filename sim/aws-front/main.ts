// The local stack's AWS endpoint: moto behind a thin front that answers the EC2 calls moto does
// not implement (EnableImageDeprecation, DisableImageDeprecation) the way EC2 does. Everything
// else passes through to moto unchanged. Local stack only: production talks to AWS itself.
//   node --import tsx sim/aws-front/main.ts --port 14566 --moto http://127.0.0.1:14567
import { parseArgs } from 'node:util';
import { ec2Ok, startFaultProxy } from '../fault-proxy';

const { values } = parseArgs({ options: { port: { type: 'string' }, moto: { type: 'string' } } });
if (!values.port || !values.moto) {
  console.error('usage: sim/aws-front/main.ts --port <port> --moto <moto url>');
  process.exit(2);
}
const stub = (action: string) => ({ name: `moto lacks ${action}`, match: { action }, fault: ec2Ok(action) });
const proxy = await startFaultProxy({
  target: values.moto,
  port: Number(values.port),
  recordCalls: false,
  rules: [stub('EnableImageDeprecation'), stub('DisableImageDeprecation')],
});
console.log(`aws-front: ${proxy.url} -> ${values.moto}`);
const stop = () => void proxy.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
