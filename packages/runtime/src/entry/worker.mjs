// Worker bootstrap when the runtime runs from its TypeScript sources (inside this workspace). Installed
// packages run dist/worker/host-task.js directly and load tsx only for TypeScript executor modules.
// Worker bootstrap (plain ESM). Why a .mjs: passing `--import tsx` in a worker's execArgv fails on
// Node 20, but registering tsx here and then importing the TypeScript entry works. It also lets executor
// modules written in TypeScript load in workers, under tsx, under vitest, or from compiled JS alike.
import { register } from 'tsx/esm/api';

register();
// The runtime's own TypeScript needs tsx here; executor modules then need no second registration.
globalThis[Symbol.for('superstep.typescript-loader')] = true;
const { default: hostTask } = await import('../worker/host-task.ts');
export default hostTask;
