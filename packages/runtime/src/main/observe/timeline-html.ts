/**
 * Draws a run recorder's data as one self-contained HTML page: an SVG with a lane per host thread (a bar
 * per handler invocation), a lane for checkpoint writes and one for requests waiting for answers, the
 * supersteps as bands with their barriers, failures and replays marked. A small inline script adds hover
 * details and zoom; nothing is fetched, so the file opens anywhere. Every text drawn from the run is
 * escaped: executor ids and error messages come from user code.
 */
import type { HandlerRecord, TimelineData } from './timeline-data.ts';

const LABEL_WIDTH = 150;
const PLOT_WIDTH = 1000;
const AXIS_HEIGHT = 28;
const LANE_HEIGHT = 26;
const BAR_HEIGHT = 18;

/** Epoch milliseconds to an x coordinate at the initial zoom; `origin` is the time at the plot's left edge. */
type Scale = ((at: number) => number) & { readonly origin: number };

/** A lane of the chart, top to bottom. */
interface Lane {
  readonly id: string;
  readonly label: string;
}

/** The chart's geometry and colours, shared by everything drawn on it. */
interface Chart {
  readonly x: Scale;
  /** Milliseconds from the origin. */
  readonly t: (at: number) => number;
  /** The time span shown, in ms, and its end (epoch ms). */
  readonly span: number;
  readonly last: number;
  readonly scale: number;
  readonly threads: readonly number[];
  readonly lanes: readonly Lane[];
  readonly height: number;
  readonly executors: readonly string[];
  readonly laneY: (id: string) => number;
  readonly colour: (executorId: string) => string;
}

/** One bar: a rectangle in a lane, with its hover text and extra attributes. */
interface Bar {
  readonly classes: string;
  readonly start: number;
  readonly end: number;
  readonly lane: string;
  readonly tip: string;
  readonly extra: string;
}

function layout(data: TimelineData): Chart {
  const starts = [...data.runs.map((r) => r.start), ...data.handlers.map((h) => h.start)];
  const origin = starts.length === 0 ? 0 : Math.min(...starts);
  const ends = [
    ...data.runs.map((r) => r.end ?? r.start),
    ...data.handlers.map((h) => h.end),
    ...data.steps.map((s) => s.end),
    ...data.checkpoints.map((c) => c.end),
    ...data.events.map((e) => e.at),
  ];
  const span = Math.max(1, (ends.length === 0 ? origin : Math.max(...ends)) - origin);
  const scale = PLOT_WIDTH / span;
  const t = (at: number): number => at - origin;
  const x: Scale = Object.assign((at: number): number => LABEL_WIDTH + t(at) * scale, { origin });
  const threads = [...new Set(data.handlers.map((h) => h.threadId))].sort((a, b) => a - b);
  const lanes: Lane[] = [
    { id: 'supersteps', label: 'supersteps' },
    ...threads.map((id) => ({ id: `thread-${id}`, label: `thread ${id}` })),
    { id: 'checkpoints', label: 'checkpoints' },
    { id: 'requests', label: 'requests' },
  ];
  const laneY = (id: string): number => AXIS_HEIGHT + lanes.findIndex((lane) => lane.id === id) * LANE_HEIGHT;
  const executors = [...new Set(data.handlers.map((h) => h.executorId))].sort();
  const colour = (executorId: string): string => `hsl(${(executors.indexOf(executorId) * 137) % 360} 60% 62%)`;
  const height = AXIS_HEIGHT + lanes.length * LANE_HEIGHT + 4;
  return { x, t, span, last: origin + span, scale, threads, lanes, height, executors, laneY, colour };
}

/** Renders the page. Times in the page are milliseconds from the first thing recorded. */
export function renderTimeline(data: TimelineData, title: string): string {
  const chart = layout(data);
  const parts = [
    ...stepParts(data, chart),
    ...data.handlers.map((handler) => handlerBar(handler, chart)),
    ...checkpointParts(data, chart),
    ...requestParts(data, chart),
    ...markParts(data, chart),
  ];
  return page({ data, title, chart, parts });
}

/** Superstep bands across every lane, and a line at each attempt's barrier. */
function stepParts(data: TimelineData, chart: Chart): string[] {
  const { x, t, height, laneY } = chart;
  const parts: string[] = [];
  for (const step of data.steps) {
    const tip = `superstep ${step.superstep}: ${step.outcome}, ${step.attempts} attempt(s), ${ms(step.end - step.start)}`;
    parts.push(
      `<rect class="step ${step.superstep % 2 === 0 ? 'even' : 'odd'} ${step.outcome}" ${timed(step.start, step.end, x)} ` +
        `y="${AXIS_HEIGHT}" height="${height - AXIS_HEIGHT}" data-superstep="${step.superstep}" data-tip="${esc(tip)}"/>`,
      bar(chart, {
        classes: 'step-label',
        start: step.start,
        end: step.end,
        lane: 'supersteps',
        tip,
        extra: `data-superstep="${step.superstep}"`,
      }),
      `<text class="step-text" x="${x(step.start) + 3}" y="${laneY('supersteps') + 17}">${step.superstep}</text>`,
    );
  }
  for (const attempt of data.attempts) {
    const tip = `barrier of superstep ${attempt.superstep}, attempt ${attempt.attempt}: ${attempt.outcome}`;
    parts.push(
      `<line class="barrier ${attempt.outcome}" x1="${x(attempt.end)}" x2="${x(attempt.end)}" y1="${AXIS_HEIGHT}" ` +
        `y2="${height}" data-at="${t(attempt.end).toFixed(3)}" data-superstep="${attempt.superstep}" data-tip="${esc(tip)}"/>`,
    );
  }
  return parts;
}

function checkpointParts(data: TimelineData, chart: Chart): string[] {
  return data.checkpoints.map((checkpoint) => {
    const tip = checkpoint.ok
      ? `checkpoint of superstep ${checkpoint.superstep} (${checkpoint.store}): ${ms(checkpoint.end - checkpoint.start)}, id ${checkpoint.checkpointId}`
      : `checkpoint of superstep ${checkpoint.superstep} (${checkpoint.store}) FAILED: ${checkpoint.error}`;
    return bar(chart, {
      classes: `checkpoint${checkpoint.ok ? '' : ' failed'}`,
      start: checkpoint.start,
      end: checkpoint.end,
      lane: 'checkpoints',
      tip,
      extra: `data-superstep="${checkpoint.superstep}"`,
    });
  });
}

function requestParts(data: TimelineData, chart: Chart): string[] {
  return data.requests.map((request) => {
    const end = request.end ?? chart.last;
    const state = request.outcome ?? 'waiting';
    const tip = `request ${request.requestId} from ${request.executorId} (superstep ${request.superstep}): ${state}${request.end === undefined ? '' : ` after ${ms(end - request.start)}`}`;
    return bar(chart, {
      classes: `request ${state}`,
      start: request.start,
      end,
      lane: 'requests',
      tip,
      extra: `data-executor="${esc(request.executorId)}"`,
    });
  });
}

/** Failures and replays, as marks on the superstep lane. */
function markParts(data: TimelineData, chart: Chart): string[] {
  const { x, t, laneY } = chart;
  const parts: string[] = [];
  for (const { at, event } of data.events) {
    let tip: string | undefined;
    if (event.type === 'worker.restarted') {
      tip = `worker of host ${event.hostIndex} lost in superstep ${event.superstep} (attempt ${event.attempt}): ${event.reason}; replayed`;
    } else if (event.type === 'executor.failed') {
      tip = `${event.executorId} failed in superstep ${event.superstep}: ${event.error.code} ${event.error.message}`;
    } else if (event.type === 'run.failed') tip = `run failed: ${event.error.code} ${event.error.message}`;
    if (tip === undefined) continue;
    const mx = x(at);
    const y = laneY('supersteps');
    parts.push(
      `<path class="mark ${event.type.replace('.', '-')}" d="M${mx - 6} ${y + 2} L${mx + 6} ${y + 2} L${mx} ${y + 14} Z" ` +
        `data-at="${t(at).toFixed(3)}" data-tip="${esc(tip)}"/>`,
    );
  }
  return parts;
}

/** The page around the drawn parts: lane labels, the axis, legend, run list and summary. */
function page({
  data,
  title,
  chart,
  parts,
}: {
  data: TimelineData;
  title: string;
  chart: Chart;
  parts: readonly string[];
}): string {
  const { span, scale, height, lanes, laneY, executors, colour, last, threads } = chart;
  const labels = lanes
    .map(
      (lane) =>
        `<g class="lane" data-lane="${lane.id}"><rect class="lane-bg" x="0" y="${laneY(lane.id)}" width="100%" height="${LANE_HEIGHT}"/>` +
        `<text class="lane-label" x="6" y="${laneY(lane.id) + 17}">${esc(lane.label)}</text></g>`,
    )
    .join('');
  const ticks = axisTicks(span)
    .map(
      (tick) =>
        `<g class="tick" data-at="${tick}"><line x1="${LABEL_WIDTH + tick * scale}" x2="${LABEL_WIDTH + tick * scale}" y1="${AXIS_HEIGHT - 6}" y2="${height}"/>` +
        `<text x="${LABEL_WIDTH + tick * scale + 2}" y="${AXIS_HEIGHT - 10}">${ms(tick)}</text></g>`,
    )
    .join('');
  const legend = executors
    .map((id) => `<span class="key"><i style="background:${colour(id)}"></i>${esc(id)}</span>`)
    .join('');
  const runs = data.runs
    .map((run) => `${esc(run.runId)} — ${esc(run.status ?? 'running')}, ${ms((run.end ?? last) - run.start)}`)
    .join('<br>');
  const failures = data.handlers.filter((h) => h.failed).length;
  const summary =
    `${data.steps.length} supersteps · ${data.handlers.length} handler invocations on ${threads.length} threads · ` +
    `${data.checkpoints.length} checkpoints · ${data.requests.length} requests · ${failures} failed invocations · ` +
    `${data.attempts.filter((a) => a.outcome === 'replayed').length} replayed attempts`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="runs">${runs}</p>
<p class="summary">${summary}</p>
<div class="controls"><button id="zoom-in" type="button">zoom in</button> <button id="zoom-out" type="button">zoom out</button> <button id="zoom-fit" type="button">fit</button> <span class="hint">or Ctrl + wheel over the chart</span></div>
<div class="legend">${legend}<span class="key"><i class="k-failed"></i>failed</span><span class="key"><i class="k-rolled"></i>rolled back</span><span class="key"><i class="k-retried"></i>retried</span><span class="key"><i class="k-checkpoint"></i>checkpoint</span><span class="key"><i class="k-request"></i>request</span></div>
<div id="chart" class="chart">
<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="${LABEL_WIDTH + PLOT_WIDTH + 20}" height="${height}" data-span="${span}" data-label-width="${LABEL_WIDTH}" data-plot-width="${PLOT_WIDTH}">
${labels}
<g class="axis">${ticks}</g>
<g class="plot">${parts.join('\n')}</g>
</svg>
</div>
<div id="tip" class="tip" hidden></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function handlerBar(handler: HandlerRecord, chart: Chart): string {
  const outcome = handler.failed ? 'failed' : handler.rolledBack ? 'rolled back' : 'ok';
  const tip =
    `${handler.executorId} — superstep ${handler.superstep}, attempt ${handler.attempt}, thread ${handler.threadId}\n` +
    `${ms(handler.end - handler.start)}, ${handler.messages} message(s)` +
    `${handler.retries > 0 ? `, ${handler.retries} retried call(s)` : ''}; ${outcome}`;
  const classes = [
    'bar',
    'handler',
    handler.failed ? 'failed' : '',
    handler.rolledBack ? 'rolled-back' : '',
    handler.retries > 0 ? 'retried' : '',
  ]
    .filter((c) => c !== '')
    .join(' ');
  const retried = handler.retries > 0 ? ` data-retries="${handler.retries}"` : '';
  return bar(chart, {
    classes,
    start: handler.start,
    end: handler.end,
    lane: `thread-${handler.threadId}`,
    tip,
    extra: `data-executor="${esc(handler.executorId)}" data-superstep="${handler.superstep}" data-attempt="${handler.attempt}" data-thread="${handler.threadId}"${retried} style="fill:${chart.colour(handler.executorId)}"`,
  });
}

function bar(chart: Chart, { classes, start, end, lane, tip, extra }: Bar): string {
  const y = chart.laneY(lane) + (LANE_HEIGHT - BAR_HEIGHT) / 2;
  return `<rect class="${classes}" ${timed(start, end, chart.x)} y="${y}" height="${BAR_HEIGHT}" rx="2" ${extra} data-tip="${esc(tip)}"/>`;
}

/** Position and width of something lasting from `start` to `end`, plus the times the zoom script reads. */
function timed(start: number, end: number, x: Scale): string {
  const left = x(start);
  // Times relative to the page's origin: x(origin) is the left edge of the plot.
  const origin = x.origin;
  return (
    `x="${left.toFixed(2)}" width="${Math.max(1, x(end) - left).toFixed(2)}" ` +
    `data-start="${(start - origin).toFixed(3)}" data-end="${(end - origin).toFixed(3)}"`
  );
}

/** Round tick positions (ms from the origin) for a span of `span` ms: about ten of them. */
function axisTicks(span: number): number[] {
  const rough = span / 10;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? rough;
  const ticks: number[] = [];
  for (let tick = 0; tick <= span; tick += step) ticks.push(tick);
  return ticks;
}

function ms(value: number): string {
  return value === 0 || value >= 100
    ? `${value.toFixed(0)} ms`
    : value >= 1
      ? `${value.toFixed(1)} ms`
      : `${value.toFixed(3)} ms`;
}

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; margin: 0 0 6px; }
p { margin: 4px 0; }
.controls { margin: 8px 0; }
.hint { color: #777; }
.legend { margin: 6px 0 10px; }
.key { margin-right: 14px; white-space: nowrap; }
.key i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -2px; border-radius: 2px; }
.k-failed { background: #fff; outline: 2px solid #d00; }
.k-rolled { background: #ccc; outline: 1px dashed #555; }
.k-retried { background: #fff; outline: 2px dashed #e80; }
.k-checkpoint { background: #5a8; }
.k-request { background: #e9b949; }
.chart { overflow-x: auto; border: 1px solid #ddd; }
svg text { font-size: 11px; fill: #333; }
.lane-bg { fill: transparent; stroke: #eee; }
.lane-label { font-weight: 600; }
.tick line { stroke: #eee; }
.tick text { fill: #888; }
.step.odd { fill: #f3f6fb; }
.step.even { fill: #fbfbf5; }
.step.failed { fill: #fdecec; }
.step-label { fill: #c9d6ea; }
.step-text { pointer-events: none; }
.barrier { stroke: #446; stroke-width: 1; }
.barrier.replayed, .barrier.failed { stroke: #d00; stroke-dasharray: 3 2; }
.bar { stroke: #333; stroke-width: 0.5; cursor: default; }
.bar.retried { stroke: #e80; stroke-width: 2; stroke-dasharray: 2 1; }
.bar.failed { stroke: #d00; stroke-width: 2; }
.bar.rolled-back { opacity: 0.45; stroke-dasharray: 3 2; }
.checkpoint { fill: #5a8; }
.checkpoint.failed { fill: #d55; }
.request { fill: #e9b949; }
.request.waiting { fill: #f6dc9a; stroke-dasharray: 4 2; }
.mark { fill: #d00; }
.bar:hover, .mark:hover { stroke: #000; stroke-width: 2; }
.tip { position: fixed; pointer-events: none; background: #222; color: #fff; padding: 6px 8px; border-radius: 4px; white-space: pre; font-size: 12px; z-index: 2; }
`;

/** Hover details and zoom: re-lays out every timed element from its data-start/data-end. */
const SCRIPT = `
(() => {
  const svg = document.getElementById('timeline');
  const tip = document.getElementById('tip');
  const span = Number(svg.dataset.span);
  const labelWidth = Number(svg.dataset.labelWidth);
  const plotWidth = Number(svg.dataset.plotWidth);
  const timed = [...svg.querySelectorAll('[data-start]')];
  let zoom = 1;
  function layout() {
    const scale = (plotWidth * zoom) / span;
    svg.setAttribute('width', String(labelWidth + plotWidth * zoom + 20));
    for (const el of timed) {
      const start = Number(el.dataset.start);
      const end = Number(el.dataset.end);
      el.setAttribute('x', (labelWidth + start * scale).toFixed(2));
      el.setAttribute('width', Math.max(1, (end - start) * scale).toFixed(2));
    }
    for (const el of svg.querySelectorAll('line[data-at]')) {
      const at = (labelWidth + Number(el.dataset.at) * scale).toFixed(2);
      el.setAttribute('x1', at);
      el.setAttribute('x2', at);
    }
    for (const el of svg.querySelectorAll('.tick')) {
      const at = labelWidth + Number(el.dataset.at) * scale;
      el.querySelector('line').setAttribute('x1', at.toFixed(2));
      el.querySelector('line').setAttribute('x2', at.toFixed(2));
      el.querySelector('text').setAttribute('x', (at + 2).toFixed(2));
    }
    for (const el of svg.querySelectorAll('path.mark')) {
      const at = labelWidth + Number(el.dataset.at) * scale;
      const y = Number(el.getAttribute('d').split(' ')[1]);
      el.setAttribute('d', 'M' + (at - 6) + ' ' + y + ' L' + (at + 6) + ' ' + y + ' L' + at + ' ' + (y + 12) + ' Z');
    }
    for (const el of svg.querySelectorAll('.step-text')) {
      const step = svg.querySelector('.step-label[data-superstep="' + el.textContent + '"]');
      if (step) el.setAttribute('x', String(Number(step.getAttribute('x')) + 3));
    }
  }
  function setZoom(next) {
    zoom = Math.min(1000, Math.max(1, next));
    svg.dataset.zoom = String(zoom);
    layout();
  }
  document.getElementById('zoom-in').addEventListener('click', () => setZoom(zoom * 2));
  document.getElementById('zoom-out').addEventListener('click', () => setZoom(zoom / 2));
  document.getElementById('zoom-fit').addEventListener('click', () => setZoom(1));
  document.getElementById('chart').addEventListener('wheel', (event) => {
    if (!event.ctrlKey) return;
    event.preventDefault();
    setZoom(zoom * (event.deltaY < 0 ? 1.25 : 0.8));
  }, { passive: false });
  svg.addEventListener('mousemove', (event) => {
    const target = event.target.closest('[data-tip]');
    if (!target || target.classList.contains('step')) { tip.hidden = true; return; }
    tip.textContent = target.dataset.tip;
    tip.hidden = false;
    tip.style.left = event.clientX + 12 + 'px';
    tip.style.top = event.clientY + 12 + 'px';
  });
  svg.addEventListener('mouseleave', () => { tip.hidden = true; });
  setZoom(1);
})();
`;
