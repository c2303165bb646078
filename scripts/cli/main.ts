// `fedimg` (npm run fedimg -- <command>, or the package's bin): the operator's command line.
// See scripts/cli/program.ts for the commands and README "Operating it" for examples.
import { run } from './program';

const code = await run(process.argv.slice(2));
process.exitCode = code;
// Output is flushed by a natural exit; a handle left open by a library must not keep us alive.
setTimeout(() => process.exit(code), 2_000).unref();
