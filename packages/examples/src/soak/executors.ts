// The soak workflow's executors: run in worker threads; import only the worker-safe entry.
//
//   scatter ──fan-out──▶ left ──┐
//      ▲   │           └▶ right ─┴─fan-in──▶ join ──▶ scatter (next round)
//      │   └──▶ hash (stateless, `width` messages spread over the threads) ──▶ tally
//
// State stays the same size from round to round (it is replaced, never appended to), so memory that grows
// over a soak is the runtime's, not the workflow's.
import { defineExecutor } from '@superstep/runtime/executor';

export interface Round {
  readonly round: number;
  readonly rounds: number;
  readonly width: number;
}

interface Part {
  readonly from: string;
  readonly value: number;
  readonly round: Round;
}

const mix = (a: number, b: number): number => Math.imul(a ^ b, 2654435761) >>> 0;

interface Item {
  readonly n: number;
  readonly round: Round;
}

export const scatter = defineExecutor<Round, Round | Item, { readonly rounds: number }>({
  initialState: () => ({ rounds: 0 }),
  handle(round, ctx) {
    ctx.setState({ rounds: ctx.state.rounds + 1 });
    ctx.shared.set('round', round.round);
    ctx.send(round, { to: 'left' });
    ctx.send(round, { to: 'right' });
    for (let k = 0; k < round.width; k++) ctx.send({ n: round.round * 1000 + k, round }, { to: 'hash' });
  },
});

export const left = defineExecutor<Round, Part, { readonly acc: number; readonly pad: string }>({
  initialState: () => ({ acc: 1, pad: '' }),
  handle(round, ctx) {
    const acc = mix(ctx.state.acc, round.round);
    ctx.setState({ acc, pad: acc.toString(16).repeat(64) });
    ctx.send({ from: 'left', value: acc, round });
  },
});

export const right = defineExecutor<Round, Part, { readonly acc: number }>({
  initialState: () => ({ acc: 2 }),
  handle(round, ctx) {
    const acc = mix(ctx.state.acc, (ctx.shared.get<number>('round') ?? 0) + 7);
    ctx.setState({ acc });
    ctx.send({ from: 'right', value: acc, round });
  },
});

export const join = defineExecutor<readonly Part[], Round, { readonly digest: number }>({
  initialState: () => ({ digest: 0 }),
  handle(parts, ctx) {
    const first = parts[0];
    if (first === undefined) return;
    const digest = parts.reduce((d, part) => mix(d, part.value), ctx.state.digest);
    ctx.setState({ digest });
    ctx.emit('round', { round: first.round.round });
    if (first.round.round < first.round.rounds) ctx.send({ ...first.round, round: first.round.round + 1 });
    else ctx.yieldOutput({ digest });
  },
});

export const hash = defineExecutor<Item, Item>({
  stateless: true,
  handle({ n, round }, ctx) {
    let x = n;
    for (let i = 0; i < 2_000; i++) x = mix(x, i);
    ctx.send({ n: x, round });
  },
});

/** Sums the hashes (in any order: a sum), and yields the sum with the last one. */
export const tally = defineExecutor<Item, never, { readonly sum: number; readonly seen: number }>({
  initialState: () => ({ sum: 0, seen: 0 }),
  handle({ n, round }, ctx) {
    const next = { sum: (ctx.state.sum + n) >>> 0, seen: ctx.state.seen + 1 };
    ctx.setState(next);
    if (next.seen === round.rounds * round.width) ctx.yieldOutput({ sum: next.sum });
  },
});
