import { describe, expect, it } from 'vitest';
import type { TimelineData } from './run-recorder.ts';
import { renderTimeline } from './timeline-html.ts';

/** A run with one handler that failed, as a recorder would hold it; its texts come from user code. */
function hostileRun(): TimelineData {
  const hostile = '"><img src=x onerror=alert(1)></script><script>alert(2)</script>';
  return {
    runs: [{ runId: 'r1', start: 1000, end: 1010, status: 'failed' }],
    steps: [{ superstep: 1, start: 1001, end: 1009, outcome: 'failed', attempts: 1 }],
    attempts: [{ superstep: 1, attempt: 1, start: 1001, end: 1008, outcome: 'failed' }],
    handlers: [
      {
        executorId: `exec${hostile}`,
        superstep: 1,
        attempt: 1,
        threadId: 7,
        start: 1002,
        end: 1004,
        messages: 1,
        retries: 2,
        failed: true,
        rolledBack: true,
      },
    ],
    checkpoints: [{ superstep: 0, start: 1000, end: 1001, store: 'memory', ok: false, error: hostile }],
    requests: [{ requestId: hostile, executorId: 'asker', superstep: 1, start: 1003 }],
    events: [
      {
        at: 1008,
        event: {
          type: 'run.failed',
          error: { name: 'SuperstepError', code: 'EXECUTOR_FAILED', message: hostile, details: {} },
        },
      },
    ],
  };
}

describe('renderTimeline', () => {
  it('escapes every text that comes from the run: ids, error messages, request ids', () => {
    const html = renderTimeline(hostileRun(), `title <b>`);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    // The page's own script is the only one.
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('draws one bar per record, on the lane of its thread, with its outcome as classes', () => {
    const html = renderTimeline(hostileRun(), 'run');
    expect(html.match(/class="bar handler failed rolled-back retried"/g)).toHaveLength(1);
    expect(html).toContain('data-lane="thread-7"');
    expect(html).toContain('data-retries="2"');
    expect(html.match(/class="checkpoint failed"/g)).toHaveLength(1);
    expect(html.match(/class="request waiting"/g)).toHaveLength(1);
    expect(html.match(/class="mark run-failed"/g)).toHaveLength(1);
    // Self-contained: nothing to fetch.
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
  });
});
