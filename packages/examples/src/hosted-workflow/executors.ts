/**
 * The hosted conversation's executors. Worker-safe: they import only `@superstep/runtime/executor` (and zod).
 *
 *   parse (stateless) ──▶ session (stateful: turns, tally, history)
 *
 * `session` keeps the whole conversation in its actor state, so a checkpoint of the workflow *is* the
 * conversation: the server restores it before each message and the next checkpoint carries it on.
 * `ask …` hands the question to a human operator (`ctx.request`); the run waits for the answer.
 */
import { defineExecutor } from '@superstep/runtime/executor';
import { z } from 'zod';

/** What a client posts. */
export interface ChatMessage {
  readonly text: string;
}

/** A parsed message. */
export type Command =
  | { readonly type: 'add'; readonly amount: number }
  | { readonly type: 'ask'; readonly question: string }
  | { readonly type: 'say'; readonly text: string };

/** The conversation, as the `session` actor keeps it. */
export interface SessionState {
  readonly turns: number;
  readonly tally: number;
  /** The last few lines of the conversation (kept short: it is checkpointed at every barrier). */
  readonly history: readonly string[];
}

/** What `session` yields for each turn: the workflow's output, which the server returns to the client. */
export interface Reply {
  readonly turn: number;
  readonly text: string;
  readonly tally: number;
  /** Who answered: the bot, or the human operator (for `ask …`). */
  readonly from: 'bot' | 'operator';
}

/** What an `ask …` request carries to the operator. */
export interface OperatorQuestion {
  readonly question: string;
  readonly turn: number;
}

/** How the operator answers. Anything else is refused with `RESPONSE_INVALID` (HTTP 400). */
export const operatorAnswer = z.object({ answer: z.string().min(1) });
export type OperatorAnswer = z.infer<typeof operatorAnswer>;

const HISTORY_LINES = 20;

function remember(state: SessionState, ...lines: string[]): readonly string[] {
  return [...state.history, ...lines].slice(-HISTORY_LINES);
}

/** Turns a line of text into a command (stateless, so any worker can do it). */
export const parse = defineExecutor<ChatMessage, Command>({
  stateless: true,
  handle({ text }, ctx) {
    const trimmed = text.trim();
    const add = /^add\s+(-?\d+)$/i.exec(trimmed);
    if (add?.[1] !== undefined) ctx.send({ type: 'add', amount: Number(add[1]) });
    else if (/^ask\s+/i.test(trimmed)) ctx.send({ type: 'ask', question: trimmed.replace(/^ask\s+/i, '') });
    else ctx.send({ type: 'say', text: trimmed });
  },
});

/** The conversation's memory: one actor per workflow instance, its state restored per conversation. */
export const session = defineExecutor<Command, never, SessionState>({
  initialState: () => ({ turns: 0, tally: 0, history: [] }),
  responseSchema: operatorAnswer,
  on: {
    add({ amount }, ctx) {
      const turn = ctx.state.turns + 1;
      const tally = ctx.state.tally + amount;
      const text = `added ${amount}; the tally is ${tally}`;
      ctx.setState({ turns: turn, tally, history: remember(ctx.state, `user: add ${amount}`, `bot: ${text}`) });
      ctx.yieldOutput({ turn, text, tally, from: 'bot' } satisfies Reply);
    },
    say({ text }, ctx) {
      const turn = ctx.state.turns + 1;
      const reply = `you said "${text}" (turn ${turn}; the tally is ${ctx.state.tally})`;
      ctx.setState({ ...ctx.state, turns: turn, history: remember(ctx.state, `user: ${text}`, `bot: ${reply}`) });
      ctx.yieldOutput({ turn, text: reply, tally: ctx.state.tally, from: 'bot' } satisfies Reply);
    },
    ask({ question }, ctx) {
      const turn = ctx.state.turns + 1;
      ctx.setState({ ...ctx.state, turns: turn, history: remember(ctx.state, `user: ask ${question}`) });
      ctx.request({ question, turn } satisfies OperatorQuestion);
    },
  },
  onResponse(response, ctx) {
    const { turn } = response.request as OperatorQuestion;
    const { answer } = response.value as OperatorAnswer;
    ctx.setState({ ...ctx.state, history: remember(ctx.state, `operator: ${answer}`) });
    ctx.yieldOutput({ turn, text: answer, tally: ctx.state.tally, from: 'operator' } satisfies Reply);
  },
});
