import type { TimelineData } from './run-recorder.ts';

export function renderTimeline(data: TimelineData, title: string): string {
  return `<!doctype html><title>${title}</title><pre>${JSON.stringify(data.handlers.length)}</pre>`;
}
