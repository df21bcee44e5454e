import { specifiedDirectives } from 'graphql';
import { builder } from './builder';
import { guardDirectives } from './plugins/guards';
import './types/account';
import './types/contact';
import './types/deal';
import './types/activity';
import './types/pipeline';
import './types/consent';
import './types/api-key';
import './types/tenant-key';
import './types/viewer';
import './types/agents';
import './types/briefing';
import './types/audit-verification';
import './types/audit-log';
import './types/usage';
import './types/agent-runs';
import './types/members';
import './types/mcp-servers';
import './types/federated-call';

/** The executable schema; its printed SDL (with directives) is `schema/schema.graphql`. */
export const schema = builder.toSchema({ directives: [...specifiedDirectives, ...guardDirectives], sortSchema: true });
