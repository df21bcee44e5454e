import { callFederatedTool, type FederatedCallResult } from '../../services/federation/gateway';
import { FEDERATED_NAME } from '../../services/federation/listing';
import { builder } from '../builder';
import { svc } from '../context';

const FederatedToolResult = builder.objectRef<FederatedCallResult>('FederatedToolResult').implement({
  description: "A federated tool's answer after Pact's governance (PII policy applied), or the consent gate's blocked shape. The cost is `extensions.cost_cents`.",
  fields: (t) => ({
    content: t.field({ type: 'JSON', description: "The MCP content blocks (`[{type: 'text', text}]`, …).", resolve: (r) => r.content }),
    structuredContent: t.field({ type: 'JSON', nullable: true, description: 'The structured result, when the tool gives one.', resolve: (r) => r.structuredContent }),
    isError: t.exposeBoolean('isError', { description: 'The upstream tool answered an error result (still charged: the tool ran).' }),
    blocked: t.exposeBoolean('blocked', { description: 'The consent gate refused the subject: the tool did not run and nothing is charged.' }),
    reason: t.exposeString('reason', { nullable: true, description: '`consent_<status>` when blocked.' }),
  }),
});

builder.mutationField('callFederatedTool', (t) =>
  t.field({
    type: FederatedToolResult,
    scope: 'call:federated',
    description:
      "Call a tool of an MCP server published into this workspace, by its federated name `<slug>__<tool>`, under the tool's governance: allowed roles (API keys only when `api` is listed), its per-minute limit, Pact's consent on its consent subject, its daily cost cap (COST_CAP_EXCEEDED), its PII policy on the answer (PII_BLOCKED when blocked). Charged the tool's estimated cost; upstream failures answer UPSTREAM_UNREACHABLE, UPSTREAM_TIMEOUT or UPSTREAM_NOT_MCP.",
    args: {
      tool: t.arg.string({ required: true, description: 'The federated name, `<slug>__<tool>`.' }),
      arguments: t.arg({ type: 'JSON', description: "The tool's arguments (a JSON object matching its input schema)." }),
    },
    resolve: (_, args, ctx) => {
      // The audit row and ledger charge name the federated tool (and so its server), on every path.
      if (FEDERATED_NAME.test(args.tool)) ctx.call.operation = args.tool;
      return callFederatedTool(svc(ctx), { limiter: ctx.services.limiter, upstream: ctx.services.upstreams, logger: ctx.services.logger }, args.tool, args.arguments);
    },
  }),
);
