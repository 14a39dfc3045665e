// Piscina's worker file for the `piscina` peer of fanout-cpu. Plain ESM because tsx cannot be handed to a
// worker through execArgv on Node 20 (docs/design.md, "The worker entry"): register it here, then load the TypeScript task.
import { register } from 'tsx/esm/api';

register();
const task = await import('./piscina-task.ts');
export default task.default;
export const whoAmI = task.whoAmI;
