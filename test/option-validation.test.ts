/**
 * Every public option object is validated at the boundary: a bad option — of the wrong type, out of range,
 * or an argument that is not an object at all — is refused with `INVALID_OPTION` naming it in
 * `details.option`, before anything starts or changes (no thread left running, the instance still idle).
 * One table per call of the public API. Public API only, real worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  WorkflowBuilder,
  createMemoryStore,
  createPool,
  executor,
  executorModule,
  openFileStore,
  openPostgresStore,
  openSqliteStore,
  subWorkflow,
  type ActorPool,
  type Workflow,
} from '@superstep/runtime';
import { rejectionOf, thrownBy, type CodedError } from './helpers.ts';

const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));

/** A bad option: what is passed, and the option `details.option` must name. */
type Case = readonly [label: string, bad: unknown, option: string];

/** The error is INVALID_OPTION and names `option` (as `option`, `options.option` or `….option`). */
function expectRefused(error: CodedError, option: string): void {
  expect(error.code).toBe('INVALID_OPTION');
  const named = String(error.details?.option);
  expect(named === option || named.endsWith(`.${option}`), `details.option ${named} names ${option}`).toBe(true);
}

/** Something with the look of a store but not its methods. */
const halfStore = { save: () => Promise.resolve() };

describe('option validation: every public option object is checked at the boundary', () => {
  let pool: ActorPool;
  let scratch: string;
  beforeAll(async () => {
    pool = await createPool({ threads: 1 });
    scratch = mkdtempSync(join(tmpdir(), 'superstep-options-'));
  });
  afterAll(async () => {
    await pool.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const poolCases: Case[] = [
    ['options null', null, 'options'],
    ['options a number', 3, 'options'],
    ['threads 0', { threads: 0 }, 'threads'],
    ['threads 1.5', { threads: 1.5 }, 'threads'],
    ['eventFlushMs -1', { eventFlushMs: -1 }, 'eventFlushMs'],
    ['eventFlushMs a string', { eventFlushMs: '5' }, 'eventFlushMs'],
    ['resourceLimits a number', { resourceLimits: 64 }, 'resourceLimits'],
  ];
  for (const [label, bad, option] of poolCases) {
    it(`createPool refuses ${label}`, async () => {
      expectRefused(await rejectionOf(createPool(bad as never)), option);
    });
  }

  const buildCases: Case[] = [
    ['options null', null, 'options'],
    ['options an array', [], 'options'],
    ['maxSupersteps 0', { maxSupersteps: 0 }, 'maxSupersteps'],
    ['cancelGraceMs -1', { cancelGraceMs: -1 }, 'cancelGraceMs'],
    ['maxWorkerRestarts -1', { maxWorkerRestarts: -1 }, 'maxWorkerRestarts'],
    ['sharedState a number', { sharedState: 5 }, 'sharedState'],
    ['sharedState an array', { sharedState: [1, 2] }, 'sharedState'],
    ['store without the store methods', { store: halfStore }, 'store'],
    ['store a string', { store: 'memory' }, 'store'],
    ['pool not an ActorPool', { pool: { threads: 2 } }, 'pool'],
    ['createId not a function', { createId: 'id' }, 'createId'],
    ['now not a function', { now: 5 }, 'now'],
    ['name a number', { name: 5 }, 'name'],
    ['name empty', { name: '' }, 'name'],
    ['logger without warn', { logger: {} }, 'logger'],
    ['threads 0 (its own pool)', { threads: 0 }, 'threads'],
  ];
  for (const [label, bad, option] of buildCases) {
    it(`build refuses ${label}`, async () => {
      const options = bad !== null && typeof bad === 'object' && !Array.isArray(bad) ? { pool, ...bad } : bad;
      // With the option refused, nothing is built; the shared pool stays usable.
      expectRefused(await rejectionOf(new WorkflowBuilder(basic.executor('sink')).build(options as never)), option);
    });
  }

  describe('on a built workflow', () => {
    let wf: Workflow;
    beforeAll(async () => {
      wf = await new WorkflowBuilder(basic.executor('sink')).build({ pool });
    });
    afterAll(async () => {
      await wf.close();
    });

    const runCases: Case[] = [
      ['options null', null, 'options'],
      ['maxSupersteps 0', { maxSupersteps: 0 }, 'maxSupersteps'],
      ['maxSupersteps 2.5', { maxSupersteps: 2.5 }, 'maxSupersteps'],
      ['signal not an AbortSignal', { signal: { aborted: false } }, 'signal'],
      ['onRequest not a function', { onRequest: 'answer' }, 'onRequest'],
      ['onPendingRequests unknown', { onPendingRequests: 'never' }, 'onPendingRequests'],
      ['store without the store methods', { store: halfStore }, 'store'],
    ];
    const resumeCases: Case[] = [
      ...runCases,
      ['responses a number', { responses: 5 }, 'responses'],
      ['responses null', { responses: null }, 'responses'],
      ['responses a string', { responses: 'yes' }, 'responses'],
      ['responses an array', { responses: ['yes'] }, 'responses'],
    ];
    for (const [label, bad, option] of runCases) {
      it(`run refuses ${label}, and the instance stays idle`, async () => {
        expectRefused(
          thrownBy(() => wf.run('x', bad as never)),
          option,
        );
        expect(wf.status).toBe('idle');
        expect((await wf.run('ok').result()).outputs).toEqual(['ok']);
      });
    }
    for (const [label, bad, option] of resumeCases) {
      it(`resume refuses ${label}, and the instance stays idle`, () => {
        expectRefused(
          thrownBy(() => wf.resume(bad as never)),
          option,
        );
        expect(wf.status).toBe('idle');
      });
    }

    const storeCases: Case[] = [
      ['options null', null, 'options'],
      ['options a string', 'store', 'options'],
      ['store without the store methods', { store: halfStore }, 'store'],
      ['store a number', { store: 5 }, 'store'],
    ];
    for (const [label, bad, option] of storeCases) {
      it(`createCheckpoint refuses ${label}`, async () => {
        expectRefused(await rejectionOf(wf.createCheckpoint(bad as never)), option);
        expect(wf.status).toBe('idle');
      });
      it(`restore refuses ${label}`, async () => {
        expectRefused(await rejectionOf(wf.restore('some-id', bad as never)), option);
        expect(wf.status).toBe('idle');
      });
    }
  });

  const builderCases: readonly [label: string, call: () => unknown, option: string][] = [
    ['executor() with a null location', () => executor('a', null as never), 'location'],
    ['subWorkflow() with a child that is not a builder or a graph', () => subWorkflow('child', {} as never), 'child'],
    ['subWorkflow() with a null child', () => subWorkflow('child', null as never), 'child'],
    ['executorModule().executor() with null options', () => basic.executor('sink', null as never), 'options'],
    ['executorModule().executor() with a numeric id', () => basic.executor('sink', { id: 5 as never }), 'id'],
    ['addEdge with null options', () => new WorkflowBuilder().addEdge('a', 'b', null as never), 'options'],
    [
      'addEdge with a condition that is not a function',
      () => new WorkflowBuilder().addEdge('a', 'b', { condition: 5 as never }),
      'condition',
    ],
    [
      'addFanOut with a select that is not a function',
      () => new WorkflowBuilder().addFanOut('a', ['b', 'c'], { select: 5 as never }),
      'select',
    ],
    ['addFanOut with targets that are not an array', () => new WorkflowBuilder().addFanOut('a', 'b' as never), 'to'],
    ['addFanIn with sources that are not an array', () => new WorkflowBuilder().addFanIn('a' as never, 'b'), 'from'],
    ['addSwitch with cases that are not an array', () => new WorkflowBuilder().addSwitch('a', {} as never), 'cases'],
    ['addSwitch with a case without when', () => new WorkflowBuilder().addSwitch('a', [{ to: 'b' } as never]), 'when'],
  ];
  for (const [label, call, option] of builderCases) {
    it(`builder: refuses ${label}`, () => {
      expectRefused(thrownBy(call), option);
    });
  }

  const storeOpeners: readonly [label: string, open: () => Promise<unknown>, option: string][] = [
    ['openFileStore with null options', () => openFileStore(null as never), 'options'],
    ['openFileStore with an empty directory', () => openFileStore({ directory: '' }), 'directory'],
    [
      'openFileStore with an unknown durability',
      () => openFileStore({ directory: join(scratch, 'f'), durability: 'x' as never }),
      'durability',
    ],
    ['openSqliteStore with null options', () => openSqliteStore(null as never), 'options'],
    ['openSqliteStore with an empty path', () => openSqliteStore({ path: '' }), 'path'],
    [
      'openSqliteStore with a negative busyTimeoutMs',
      () => openSqliteStore({ path: join(scratch, 's.db'), busyTimeoutMs: -1 }),
      'busyTimeoutMs',
    ],
    ['openPostgresStore with null options', () => openPostgresStore(null as never), 'options'],
    ['openPostgresStore with maxConnections 0', () => openPostgresStore({ maxConnections: 0 }), 'maxConnections'],
  ];
  for (const [label, open, option] of storeOpeners) {
    it(`stores: ${label} is refused`, async () => {
      expectRefused(await rejectionOf(open()), option);
    });
  }

  it('a memory store is a valid store option', async () => {
    await using store = createMemoryStore();
    await using wf = await new WorkflowBuilder(basic.executor('sink')).build({ pool, store });
    expect((await wf.run('x').result()).outputs).toEqual(['x']);
  });
});
