/**
 * The sub-workflow example's executors. Worker-safe. The parent workflow drafts an article, hands it to the
 * `review` sub-workflow, and publishes what comes back:
 *
 *   parent:  draft ──▶ review (sub-workflow) ──▶ publish
 *   review:  check ──▶ approve (asks a human: ctx.request, answered { approved, note? })
 *
 * `review`'s outputs (what `approve` yields) flow on as the node's messages to `publish`.
 */
import { defineExecutor } from '@superstep/runtime/executor';
import { z } from 'zod';

/** What the run starts with. */
export interface Brief {
  readonly title: string;
  readonly words: number;
}

/** The article under review. */
export interface Article {
  readonly title: string;
  readonly body: string;
  /** Notes added by the review's checks. */
  readonly notes: readonly string[];
}

/** What the human answers. */
export const Verdict = z.object({ approved: z.boolean(), note: z.string().optional() });
export type Verdict = z.infer<typeof Verdict>;

/** What the review yields (its outputs become the `review` node's messages in the parent). */
export interface Reviewed {
  readonly article: Article;
  readonly verdict: Verdict;
  /** The request id the human answered. */
  readonly requestId: string;
}

/** What the parent publishes. */
export interface Published {
  readonly title: string;
  readonly status: 'published' | 'rejected';
  readonly note?: string;
}

/** Writes a (very) short article from the brief. */
export const draft = defineExecutor<Brief, Article>({
  handle(brief, ctx) {
    const body = Array.from({ length: brief.words }, (_, i) => (i === 0 ? 'Lorem' : 'ipsum')).join(' ');
    ctx.send({ title: brief.title, body, notes: [] });
  },
});

/** The review's first step: checks the article and notes what it finds. */
export const check = defineExecutor<Article, Article>({
  handle(article, ctx) {
    const words = article.body.split(/\s+/).length;
    const notes = [...article.notes, words < 50 ? `short: ${words} words` : `${words} words`];
    ctx.emit('checked', { title: article.title, words });
    ctx.send({ ...article, notes });
  },
});

/** Asks a human to approve the article; the request id is stable per title (`approve:<title>`). */
export const approve = defineExecutor<Article, never>({
  responseSchema: Verdict,
  handle(article, ctx) {
    ctx.request(
      { question: `Publish "${article.title}"?`, notes: article.notes, article },
      { requestId: `approve:${article.title}` },
    );
  },
  onResponse(response, ctx) {
    const { article } = response.request as { article: Article };
    ctx.yieldOutput({ article, verdict: response.value as Verdict, requestId: response.requestId } satisfies Reviewed);
  },
});

/** Publishes an approved article (or records the rejection) as the parent's output. */
export const publish = defineExecutor<Reviewed, never>({
  handle(reviewed, ctx) {
    const { article, verdict } = reviewed;
    ctx.yieldOutput({
      title: article.title,
      status: verdict.approved ? 'published' : 'rejected',
      ...(verdict.note === undefined ? {} : { note: verdict.note }),
    } satisfies Published);
  },
});
