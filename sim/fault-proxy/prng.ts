// The fault proxy draws from the same seeded PRNG (mulberry32) as the Koji simulator, so a fault
// pattern is reproducible from its seed: a failing test prints the seed and runs the same way again.
export { seededRandom, type Random } from '../koji/prng';
