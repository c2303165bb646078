// Makes an Ed25519 key pair for signing bus messages (clients/bus/README.md, "Signing keys").
//   npx tsx scripts/messages/gen-signing-key.ts <private.pem> [<public.pem>]
//   npx tsx scripts/messages/gen-signing-key.ts --stack     (the key the settings name, for the local stack)
// The private key is written 0600 and never replaced: an existing one is kept and its public
// half (re)written, so running it twice is harmless. Prints the public key's fingerprint.
import { getConfig } from '../../config';
import { ensureSigningKeyFiles } from '../../clients/bus/keys';
import { ensureBusSigningKey } from './signing-key';

function main(): void {
  const args = process.argv.slice(2);
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
    console.log('usage: gen-signing-key.ts <private.pem> [<public.pem>] | --stack');
    process.exit(args.length === 0 ? 2 : 0);
  }
  const r = args[0] === '--stack' ? ensureBusSigningKey(getConfig()) : ensureSigningKeyFiles(args[0] as string, args[1]);
  if (!r) {
    console.error('bus.signing.privateKey names no file: nothing to write');
    process.exit(2);
  }
  console.log(`${r.created ? 'made' : 'kept'} ${r.privateKeyFile} (0600)`);
  console.log(`public key ${r.publicKeyFile}`);
  console.log(`fingerprint ${r.fingerprint}`);
}

main();
