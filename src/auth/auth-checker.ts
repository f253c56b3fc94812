import { AuthChecker } from 'type-graphql';
import type { RequestContext } from '../context';
import { forbidden, unauthenticated } from '../errors/domain-error';
import { satisfiesRule } from './viewer';

/** Root operations declare their callers with `@Authorized(...)`; this is the only place that decides. */
export const authChecker: AuthChecker<RequestContext> = ({ context, info }, rules) => {
  if (!context.viewer) throw unauthenticated();
  if (satisfiesRule(context.viewer, rules)) return true;
  context.audit.denied({ resourceType: `Operation:${info.fieldName}`, code: 'FORBIDDEN' });
  throw forbidden(`Your role may not call ${info.fieldName}`);
};

