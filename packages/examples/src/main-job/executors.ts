/**
 * The main job's executors. Worker-safe: they import only `@superstep/runtime/executor` and pure code.
 *
 *   plan ──▶ render (stateless: every thread) ──▶ assemble (gather) ──▶ output (PNG bytes)
 *
 * `render` is stateless, so the runtime spreads its messages over every worker thread. `assemble` gathers:
 * it is called once with every tile rendered in the superstep before, however many the job had — no
 * tile count is passed along.
 */
import { defineExecutor } from '@superstep/runtime/executor';
import { assemblePng, renderTile, tilesOf, type RenderJob, type RenderedTile, type Tile } from './mandelbrot.ts';

/** Cuts the image into tiles, one message each. */
export const plan = defineExecutor<RenderJob, Tile>({
  handle(job, ctx) {
    for (const tile of tilesOf(job)) ctx.send(tile);
  },
});

/** Renders one tile (CPU-bound). */
export const render = defineExecutor<Tile, RenderedTile>({
  stateless: true,
  handle(tile, ctx) {
    ctx.send(renderTile(tile));
  },
});

/** Joins every rendered tile and encodes the PNG. */
export const assemble = defineExecutor<RenderedTile>({
  gather: true,
  handle(tiles, ctx) {
    const first = tiles[0];
    if (first === undefined) return;
    const { png, iterations } = assemblePng(first.job, tiles);
    ctx.yieldOutput({ png, iterations, tiles: tiles.length });
  },
});
