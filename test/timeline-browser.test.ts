/**
 * The run timeline page in a real browser (Debian's Chromium driven by playwright-core): a run recorded
 * with `createRunRecorder`, written with `writeTimeline`, opened from disk with the network unused. The
 * page must show a lane per host thread holding exactly that thread's handler invocations in order,
 * hover details naming the executor, and zoom. Skips, saying why, where Chromium is not installed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WorkflowBuilder,
  createMemoryStore,
  createPool,
  createRunRecorder,
  executorModule,
  type ActorPool,
} from '@superstep/runtime';
import { drain, ofType } from './helpers.ts';
import type { Job } from './fixtures/tracing.ts';

const fixtures = executorModule<typeof import('./fixtures/tracing.ts')>(
  new URL('./fixtures/tracing.ts', import.meta.url),
);

function findChromium(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const executablePath = findChromium();
if (executablePath === undefined) {
  console.warn('timeline-browser: chromium is not installed (apt-get install -y chromium); skipping the browser test');
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe.skipIf(executablePath === undefined)('the run timeline page in Chromium', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'superstep-timeline-'));
  let pool: ActorPool;
  let browser: Browser;
  beforeAll(async () => {
    [pool, browser] = await Promise.all([
      createPool({ threads: 2 }),
      chromium.launch({ executablePath, args: CHROMIUM_ARGS }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([pool.close(), browser.close()]);
    // The screenshot stays for a person to look at; the rest of the scratch folder goes.
    rmSync(join(scratch, 'timeline.html'), { force: true });
    rmSync(join(scratch, 'crash-once'), { force: true });
  });

  it('shows a lane per thread with its handler bars in order, hover details and zoom', async () => {
    await using workflow = await new WorkflowBuilder(fixtures.executor('split'))
      .addEdge('split', fixtures.executor('work'))
      .addEdge('work', fixtures.executor('total'))
      .build({ pool, store: createMemoryStore() });
    const recorder = createRunRecorder();
    const job: Job = { items: [0, 1, 2, 3, 4, 5], crashOnce: join(scratch, 'crash-once'), ask: true };
    const { events, result } = await drain(workflow.run(job, { recorder, onRequest: () => ({ ok: true }) }));
    expect(result?.outputs).toEqual([55]);
    expect(ofType(events, 'worker.restarted')).toHaveLength(1);

    const { handlers, checkpoints, requests } = recorder.data;
    const threads = [...new Set(handlers.map((h) => h.threadId))].sort((a, b) => a - b);
    // Two threads, and the replacement of the lost one: at least three lanes of handlers.
    expect(threads.length).toBeGreaterThanOrEqual(3);
    const path = join(scratch, 'timeline.html');
    await recorder.writeTimeline(path, { title: 'tracing fixture' });

    const page = await browser.newPage({ viewport: { width: 1400, height: 500 } });
    const fetched: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) fetched.push(request.url());
    });
    await page.goto(pathToFileURL(path).href);
    expect(await page.title()).toBe('tracing fixture');

    // A lane per host thread, in thread order, and the lanes for supersteps, checkpoints and requests.
    const lanes = await Promise.all((await page.locator('g.lane').all()).map((g) => g.getAttribute('data-lane')));
    expect(lanes).toEqual(['supersteps', ...threads.map((id) => `thread-${id}`), 'checkpoints', 'requests']);

    // Every invocation is a bar on its thread's lane, left to right in the order they started.
    const bars = await Promise.all(
      (await page.locator('rect.handler').all()).map(async (rect) => ({
        executor: await rect.getAttribute('data-executor'),
        thread: Number(await rect.getAttribute('data-thread')),
        x: Number(await rect.getAttribute('x')),
        y: Number(await rect.getAttribute('y')),
        rolledBack: (await rect.getAttribute('class'))?.split(' ').includes('rolled-back') === true,
      })),
    );
    expect(bars).toHaveLength(handlers.length);
    for (const thread of threads) {
      const drawn = bars.filter((bar) => bar.thread === thread).sort((a, b) => a.x - b.x);
      const recorded = handlers.filter((h) => h.threadId === thread).sort((a, b) => a.start - b.start);
      expect(drawn.map((bar) => bar.executor)).toEqual(recorded.map((h) => h.executorId));
      expect(new Set(drawn.map((bar) => bar.y)).size).toBe(1);
    }
    expect(bars.filter((bar) => bar.rolledBack).length).toBe(handlers.filter((h) => h.rolledBack).length);
    expect(await page.locator('rect.step-label').count()).toBe(recorder.data.steps.length);
    expect(await page.locator('rect.checkpoint').count()).toBe(checkpoints.length);
    expect(await page.locator('rect.request.answered').count()).toBe(requests.length);
    expect(await page.locator('path.mark.worker-restarted').count()).toBe(1);

    // Zoom in: the chart and what is on it get wider; "fit" goes back.
    const band = page.locator('rect.step-label').first();
    const widthOf = async (): Promise<number> => Number(await band.getAttribute('width'));
    const before = await widthOf();
    await page.click('#zoom-in');
    expect(await widthOf()).toBeCloseTo(before * 2, 1);
    await page.click('#zoom-fit');
    expect(await widthOf()).toBeCloseTo(before, 1);

    // Hover a bar (zoomed in, so a sub-millisecond call is wide enough to point at): its details.
    for (let step = 0; step < 6; step++) await page.click('#zoom-in');
    const total = page.locator('rect.handler[data-executor="total"]').last();
    await total.hover();
    const tip = page.locator('#tip');
    await expect.poll(() => tip.isVisible()).toBe(true);
    expect(await tip.textContent()).toMatch(/^total — superstep \d+, attempt 1, thread \d+/);
    await page.click('#zoom-fit');

    const screenshot = join(scratch, 'timeline.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`timeline screenshot: ${screenshot}`);
    expect(fetched).toEqual([]);
    await page.close();
  });
});
