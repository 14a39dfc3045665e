#!/usr/bin/env node
// The `superstep-host` command: an actor host process serving workflows over NATS (docs/distributed.md).
// An installed package runs the compiled dist/nats/host-cli.js. In this workspace, where dist/ may be absent
// or stale, it runs the TypeScript sources under tsx instead.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/nats/host-cli.js', import.meta.url);
const fromSources = existsSync(new URL('../src/nats/host-cli.ts', import.meta.url));
if (fromSources) {
  const { register } = await import('tsx/esm/api');
  register();
  globalThis[Symbol.for('superstep.typescript-loader')] = true;
  const { main } = await import('../src/nats/host-cli.ts');
  process.exitCode = await main(process.argv.slice(2));
} else {
  const { main } = await import(compiled.href);
  process.exitCode = await main(process.argv.slice(2));
}
