/**
 * The background example's executors: an expense-claim batch. Worker-safe: they import only
 * `@superstep/runtime/executor` and zod.
 *
 *   intake ──▶ check (stateless: policy check, spread over the workers) ──▶ ledger (stateful)
 *
 * `ledger` settles small claims itself and asks a person about large ones (`ctx.request`, one request per
 * claim, with the claim's id as a stable request id). When every claim of the batch is settled it yields
 * the batch's summary — so the run finishes only once people have answered.
 */
import { defineExecutor } from '@superstep/runtime/executor';
import { z } from 'zod';

export interface Claim {
  readonly id: string;
  readonly employee: string;
  readonly amount: number;
  readonly description: string;
}

/** A claim on its way to the ledger, with what the policy check found. */
export interface CheckedClaim {
  readonly claim: Claim;
  /** Claims in the batch: the ledger knows when it is done. */
  readonly batchSize: number;
  readonly verdict: 'approve' | 'reject' | 'ask';
  readonly reason: string;
  /** A fingerprint of the claim (stands in for real CPU work: fraud scoring, OCR…). */
  readonly fingerprint: string;
}

/** What a person is asked about a large claim. */
export interface ClaimQuestion {
  readonly question: string;
  readonly claim: Claim;
}

/** The answer to a {@link ClaimQuestion}; anything else makes `respond()` fail with `RESPONSE_INVALID`. */
export const claimDecision = z.object({
  approved: z.boolean(),
  comment: z.string().max(500).optional(),
});
export type ClaimDecision = z.infer<typeof claimDecision>;

/** How one claim was settled. */
export interface Settled {
  readonly id: string;
  readonly amount: number;
  readonly approved: boolean;
  readonly by: 'policy' | 'person';
  readonly note: string;
}

/** The run's output: the batch, settled. */
export interface BatchSummary {
  readonly claims: number;
  readonly approvedTotal: number;
  readonly settled: readonly Settled[];
}

/** Claims up to this amount are settled by policy; larger ones need a person. */
export const AUTO_APPROVE_LIMIT = 100;

/** Sends every claim of a batch on, each knowing the batch size. */
export const intake = defineExecutor<readonly Claim[], { readonly claim: Claim; readonly batchSize: number }>({
  handle(claims, ctx) {
    for (const claim of claims) ctx.send({ claim, batchSize: claims.length });
  },
});

function fingerprint(claim: Claim): string {
  let x = 2166136261;
  const text = JSON.stringify(claim);
  for (let round = 0; round < 2_000; round++) {
    for (let i = 0; i < text.length; i++) x = Math.imul(x ^ text.charCodeAt(i), 16777619) >>> 0;
  }
  return x.toString(16).padStart(8, '0');
}

/** The policy check. */
export const check = defineExecutor<{ readonly claim: Claim; readonly batchSize: number }, CheckedClaim>({
  stateless: true,
  handle({ claim, batchSize }, ctx) {
    const base = { claim, batchSize, fingerprint: fingerprint(claim) };
    const limit = AUTO_APPROVE_LIMIT;
    if (!(claim.amount > 0)) ctx.send({ ...base, verdict: 'reject', reason: 'the amount must be positive' });
    else if (claim.amount <= limit) ctx.send({ ...base, verdict: 'approve', reason: `within the ${limit} limit` });
    else ctx.send({ ...base, verdict: 'ask', reason: `over the ${limit} limit` });
  },
});

interface LedgerState {
  readonly batchSize: number;
  readonly settled: readonly Settled[];
}

function record(
  state: LedgerState,
  settled: Settled,
  ctx: { setState(next: LedgerState): void; yieldOutput(value: unknown): void },
): void {
  const next: LedgerState = { ...state, settled: [...state.settled, settled] };
  ctx.setState(next);
  if (next.settled.length === next.batchSize) {
    const ordered = [...next.settled].sort((a, b) => a.id.localeCompare(b.id));
    const approvedTotal = ordered.filter((s) => s.approved).reduce((sum, s) => sum + s.amount, 0);
    ctx.yieldOutput({ claims: next.batchSize, approvedTotal, settled: ordered } satisfies BatchSummary);
  }
}

/** Settles claims; asks a person about large ones; yields the summary once all are settled. */
export const ledger = defineExecutor<CheckedClaim, never, LedgerState>({
  initialState: () => ({ batchSize: 0, settled: [] }),
  responseSchema: claimDecision,
  handle(checked, ctx) {
    const state = { ...ctx.state, batchSize: checked.batchSize };
    const { claim } = checked;
    if (checked.verdict === 'ask') {
      ctx.setState(state);
      const question = `Approve ${claim.employee}'s claim of ${claim.amount} for "${claim.description}"?`;
      ctx.request({ question, claim } satisfies ClaimQuestion, { requestId: `claim-${claim.id}` });
      return;
    }
    const approved = checked.verdict === 'approve';
    record(state, { id: claim.id, amount: claim.amount, approved, by: 'policy', note: checked.reason }, ctx);
  },
  onResponse(response, ctx) {
    const { claim } = response.request as ClaimQuestion;
    const { approved, comment } = response.value as ClaimDecision;
    record(ctx.state, { id: claim.id, amount: claim.amount, approved, by: 'person', note: comment ?? '' }, ctx);
  },
});
