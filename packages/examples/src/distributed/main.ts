/**
 * The main job's fan-out on two host processes over NATS (docs/distributed.md). It starts two
 * `superstep-host` processes as its children (in a real deployment: one per machine), renders the main
 * job's Mandelbrot image with its tiles spread over them, prints which host did how much, renders the same
 * image in process on a thread pool, and exits 0 only if both images are identical. Needs NATS with
 * JetStream at `--servers` (default: the local one).
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { WorkflowBuilder, createPool, executorModule, type HostSet } from '@superstep/runtime';
import { connectHosts } from '@superstep/runtime/nats';
import { parseExampleArgs } from '../cli.ts';
import { DEFAULT_JOB, tilesOf, type RenderJob } from '../main-job/mandelbrot.ts';
import { privateBucket, startHostProcesses } from './host-processes.ts';

const args = parseExampleArgs('example:distributed', {
  servers: { type: 'string', default: 'nats://127.0.0.1:4222', description: 'the NATS server' },
  threads: { type: 'string', default: '1', description: 'worker threads per host process' },
  width: { type: 'string', default: '640', description: 'image width in pixels' },
  height: { type: 'string', default: '480', description: 'image height in pixels' },
});

/** The examples' sources: what every host serves (`--root`) and what executor modules are named against. */
const ROOT = new URL('../', import.meta.url);
const mod = executorModule<typeof import('../main-job/executors.js')>(
  new URL('../main-job/executors.js', import.meta.url),
);
const job: RenderJob = { ...DEFAULT_JOB, width: Number(args.width), height: Number(args.height) };
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** Renders the job on `pool` and returns the PNG and the time it took. */
async function render(pool: HostSet): Promise<{ png: Uint8Array; ms: number }> {
  const plan = mod.executor('plan');
  await using workflow = await new WorkflowBuilder(plan)
    .addEdge(plan, mod.executor('render'))
    .addEdge('render', mod.executor('assemble'))
    .build({ pool });
  const started = performance.now();
  const result = await workflow.run(job).result();
  const { png } = result.outputs[0] as { png: Uint8Array };
  return { png, ms: performance.now() - started };
}

const threads = Number(args.threads);
console.log(`superstep distributed: Mandelbrot ${job.width}×${job.height}, ${tilesOf(job).length} tiles`);
const bucket = privateBucket('example');
await using children = await startHostProcesses({ count: 2, threads, root: fileURLToPath(ROOT), bucket });
// Interrupted, it stops its hosts first.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void children.stop().finally(() => process.exit(1));
  });
}
console.log(`started 2 superstep-host processes (${String(threads)} thread each): ${children.hostIds.join(', ')}`);

const hosts = await connectHosts({ servers: args.servers, bucket, moduleRoot: ROOT, minHosts: 2 });
let remote: { png: Uint8Array; ms: number };
try {
  remote = await render(hosts);
  console.log(`on 2 host processes over NATS: ${remote.ms.toFixed(0)} ms, sha256 ${sha(remote.png)}`);
  for (const host of hosts.usage()) {
    console.log(`  ${host.hostId}: ${String(host.batches)} batches, ${String(host.messages)} messages`);
  }
} finally {
  await hosts.close();
}

await using pool = await createPool({ threads: 2 });
const local = await render(pool);
console.log(`in process on 2 threads: ${local.ms.toFixed(0)} ms, sha256 ${sha(local.png)}`);
const same = sha(local.png) === sha(remote.png);
console.log(same ? 'identical result: yes' : 'identical result: NO — the images differ');
process.exitCode = same ? 0 : 1;
