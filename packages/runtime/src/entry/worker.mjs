// Worker bootstrap (plain ESM). Why a .mjs: passing `--import tsx` in a worker's execArgv fails on
// Node 20, but registering tsx here and then importing the TypeScript entry works. It also lets executor
// modules written in TypeScript load in workers, under tsx, under vitest, or from compiled JS alike.
import { register } from 'tsx/esm/api';

register();
const { default: hostTask } = await import('../worker/host-task.ts');
export default hostTask;
