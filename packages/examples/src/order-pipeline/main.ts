/**
 * A tour of the executor library on an order stream: de-duplicate retried deliveries, drop invalid
 * orders, enrich, route by priority, and join two analyses of the batch. Run it with
 * `pnpm --filter @superstep/examples example:order-pipeline [--orders N]`.
 */
import { WorkflowBuilder, executorModule, type WorkflowOptions } from '@superstep/runtime';
import { generateOrders, type EnrichedOrder } from './orders.ts';
import { parseExampleArgs } from '../cli.ts';

const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));

/** The workflow of this example. */
export function orderPipeline(): WorkflowBuilder<readonly import('./orders.ts').Order[]> {
  const intake = mod.executor('intake');
  return new WorkflowBuilder(intake)
    .addEdge(intake, mod.executor('unique'))
    .addEdge(intake, mod.executor('stats'))
    .addEdge(intake, mod.executor('risk'))
    .addEdge('unique', mod.executor('valid'))
    .addEdge('valid', mod.executor('enrich'))
    .addEdge('enrich', mod.executor('desk'))
    .addFanOut('desk', [mod.executor('pager'), mod.executor('ledger')])
    .addEdge('stats', mod.executor('overview'))
    .addEdge('risk', 'overview')
    .addFanIn(['stats', 'risk'], mod.executor('record'));
}

/** What the run produced, sorted out by the executor that yielded it. */
export interface OrderReport {
  readonly paged: EnrichedOrder[];
  readonly ledger: EnrichedOrder[];
  readonly overview: unknown;
  readonly record: unknown;
}

/** Runs the pipeline over `count` generated orders. */
export async function runOrders(count: number, options: WorkflowOptions = {}): Promise<OrderReport> {
  await using workflow = await orderPipeline().build(options);
  const report: OrderReport = { paged: [], ledger: [], overview: undefined, record: undefined };
  for await (const event of workflow.run(generateOrders(count))) {
    if (event.type !== 'output') continue;
    if (event.executorId === 'pager') report.paged.push(event.data as EnrichedOrder);
    else if (event.executorId === 'ledger') report.ledger.push(event.data as EnrichedOrder);
    else if (event.executorId === 'overview') (report as { overview: unknown }).overview = event.data;
    else if (event.executorId === 'record') (report as { record: unknown }).record = event.data;
  }
  return report;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const values = parseExampleArgs('example:order-pipeline', {
    orders: { type: 'string', default: '200', description: 'how many generated orders to push through' },
  });
  const report = await runOrders(Number(values.orders));
  console.log(`paged ${report.paged.length} high-priority orders, ledgered ${report.ledger.length}`);
  console.log('overview (join):', JSON.stringify(report.overview));
  console.log('record (fanInRecord):', JSON.stringify(report.record));
}
