#!/usr/bin/env node
// The package's `fedimg` bin: the project runs from TypeScript source, so load tsx's ESM hooks
// (extension-less imports resolve as in `tsx scripts/cli/main.ts`) and run the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
