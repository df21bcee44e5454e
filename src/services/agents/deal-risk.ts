import { and, eq, inArray, sql } from 'drizzle-orm';
import { deals as dealsTable } from '../../db/schema';
import type { ServiceContext } from '../context';
import { hiddenCount } from '../consent/hidden';
import { OPEN_STAGES } from '../crm/deals';
import { callerPerson } from './caller';
import { dealRecord } from './facts';
import { money, plural, prose, stageName } from './format';
import { cite } from './grounding';
import { DEAL_FACTS, notFound, prompt, type BuiltPrompt, type DealRow } from './records';
import { dealRisks, type DealRisk } from './risk';
import { agentById } from './roster';
import type { ContextRecord } from './types';

const ADVICE = {
  overdue: 'agree a new close date with the account or close the deal',
  stale: 'log a touchpoint: call or e-mail the account this week',
  soon: 'qualify the deal now or move its close date',
};

const adviceFor = (r: DealRisk): string[] => [
  ...(r.overdue ? [ADVICE.overdue] : []),
  ...(r.stale ? [ADVICE.stale] : []),
  ...(r.reasons.some((x) => x.startsWith('it closes in')) ? [ADVICE.soon] : []),
];

const riskLine = (r: DealRisk): string =>
  `${r.deal.name} ${cite({ kind: 'deal', id: r.deal.id })} (${stageName(r.deal.stage)}, ${money(r.deal.amountCents)} at risk, closes ${r.deal.closeDate ?? 'undated'}): ${r.reasons.join('; ')}`;

const riskRecord = (r: DealRisk): ContextRecord =>
  dealRecord(r.deal, `last activity ${r.lastActivity ?? 'none'}, risk ${r.level}${r.reasons.length > 0 ? `: ${r.reasons.join('; ')}` : ''}`);

/**
 * deal-risk: one deal's risk with the fact behind each reason and the next step; without a target,
 * the caller's open deals at risk (an API key's creator's), ranked by the value at risk.
 */
export async function dealRiskPrompt(ctx: ServiceContext, dealId: string | null, asOf: string): Promise<BuiltPrompt> {
  const agent = agentById('deal-risk');
  if (dealId) {
    const { risks } = await dealRisks(ctx, asOf, { dealId }, 1);
    const risk = risks[0];
    if (!risk) {
      const [closed] = await ctx.database.rows<DealRow>(
        ctx.tx,
        sql`select ${DEAL_FACTS} from deals d join accounts a on a.tenant_id = d.tenant_id and a.id = d.account_id
            where d.tenant_id = ${ctx.principal.tenantId} and d.id = ${dealId}`,
      );
      if (!closed) throw notFound('deal');
      const draft = `${closed.name} ${cite({ kind: 'deal', id: closed.id })} is ${stageName(closed.stage)} (${money(closed.amountCents)}): a closed deal carries no pipeline risk.`;
      return { prompt: prompt(agent, null, [dealRecord(closed)], [`As of ${asOf}.`], draft), consentFiltered: 0 };
    }
    const draft =
      risk.reasons.length > 0
        ? `${riskLine(risk)}. Risk: ${risk.level}. Next step: ${prose(adviceFor(risk))}.`
        : `${risk.deal.name} ${cite({ kind: 'deal', id: risk.deal.id })} (${stageName(risk.deal.stage)}, ${money(risk.deal.amountCents)}, closes ${risk.deal.closeDate ?? 'undated'}) shows no risk signal as of ${asOf}: it is on schedule and had activity on ${risk.lastActivity ?? 'record'}. Risk: low.`;
    return { prompt: prompt(agent, null, [riskRecord(risk)], [`As of ${asOf}.`, 'Risk signals: close date passed; no activity in 30 days; closing within 14 days at 25% probability or less.'], draft), consentFiltered: 0 };
  }
  const caller = await callerPerson(ctx);
  const ownerId = caller.userId;
  const { risks, total, valueCents } = await dealRisks(ctx, asOf, { ownerId }, 5);
  const [open] = await ctx.database.rows<{ n: number; value: number }>(
    ctx.tx,
    sql`select count(*)::int as n, coalesce(sum(amount_cents), 0)::float8 as value from deals
        where tenant_id = ${ctx.principal.tenantId} and stage in ('prospecting', 'qualification', 'proposal', 'negotiation') ${ownerId ? sql`and owner_id = ${ownerId}` : sql``}`,
  );
  const hiddenOpen = await hiddenCount(ctx, {
    from: dealsTable,
    where: and(eq(dealsTable.tenantId, ctx.principal.tenantId), inArray(dealsTable.stage, [...OPEN_STAGES]), ownerId ? eq(dealsTable.ownerId, ownerId) : undefined),
  });
  const whose = ownerId ? `${caller.name ?? 'your'}'s` : "the workspace's";
  const draft =
    risks.length > 0
      ? `${plural(total, `of ${whose} open deals is`, `of ${whose} open deals are`)} at risk as of ${asOf}: ${money(valueCents)} of ${money(Number(open?.value ?? 0))} open. Ranked by value at risk: ${risks
          .map((r, i) => `${i + 1}. ${riskLine(r)}; next step: ${prose(adviceFor(r))}`)
          .join('. ')}.${total > risks.length ? ` ${plural(total - risks.length, 'smaller deal')} at risk not listed.` : ''}`
      : `None of ${whose} ${plural(open?.n ?? 0, 'open deal')} shows a risk signal as of ${asOf}.`;
  return {
    prompt: prompt(
      agent,
      null,
      risks.map(riskRecord),
      [
        `As of ${asOf}: ${total} of ${open?.n ?? 0} open deals at risk, worth ${money(valueCents)}; ranked by value at risk (amount).`,
        'Risk signals: close date passed; no activity in 30 days; closing within 14 days at 25% probability or less.',
        `${hiddenOpen} open deals are hidden by consent and left out.`,
      ],
      `${draft}${hiddenOpen > 0 ? ` ${plural(hiddenOpen, 'open deal')} hidden by consent ${hiddenOpen === 1 ? 'is' : 'are'} left out.` : ''}`,
    ),
    consentFiltered: hiddenOpen,
  };
}
