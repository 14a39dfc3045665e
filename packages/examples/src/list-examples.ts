/** `pnpm --filter @superstep/examples run examples`: every runnable script of this package, one line each. */
import { EXAMPLES } from './catalog.ts';

const width = Math.max(...Object.keys(EXAMPLES).map((script) => script.length));
console.log('Run one with: pnpm --filter @superstep/examples run <script> (add -- --help for its options)\n');
for (const [script, description] of Object.entries(EXAMPLES)) console.log(`  ${script.padEnd(width)}  ${description}`);
