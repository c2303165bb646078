// Benchmarks, not tests: `npm run bench` runs every section, `npm run bench -- artifacts` only
// the named ones. A section is a module whose `run()` prints its table and writes its JSON under
// bench-results/ (git-ignored). Add a section by adding a line to the list.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface BenchContext {
  /** Absolute path of bench-results/. */
  resultsDir: string;
}

interface Section {
  name: string;
  load: () => Promise<{ run: (ctx: BenchContext) => Promise<void> }>;
}

const sections: Section[] = [
  { name: 'artifacts', load: () => import('./artifacts') },
  { name: 'ec2', load: () => import('./ec2') },
  { name: 'fetch', load: () => import('./fetch') },
  { name: 'scale', load: () => import('./scale') },
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !sections.some((s) => s.name === w));
if (unknown.length > 0) {
  console.error(`unknown bench section(s): ${unknown.join(', ')}; known: ${sections.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const resultsDir = fileURLToPath(new URL('../../bench-results/', import.meta.url));
await mkdir(resultsDir, { recursive: true });
for (const s of sections) {
  if (wanted.length > 0 && !wanted.includes(s.name)) continue;
  console.log(`\n== bench: ${s.name} ==`);
  const mod = await s.load();
  await mod.run({ resultsDir });
}
