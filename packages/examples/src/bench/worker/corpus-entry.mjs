// Worker file of map-reduce-corpus's hand-written peer. Plain ESM because tsx cannot be handed to a worker through
// execArgv on Node 20 (docs/design.md, "The worker entry"): register it here, then load the TypeScript host.
import { register } from 'tsx/esm/api';

register();
await import('./corpus-host.ts');
