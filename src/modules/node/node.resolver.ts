import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { fromGlobalId, toGlobalId } from '../../common/global-id';
import { Node, NODE_TYPE } from '../../common/node';
import type { AuthedContext } from '../../context';
import { notFound } from '../../errors/domain-error';
import { auditRefusedRead } from '../../audit/denied-subject';
import { mayFetchNode, NODE_TYPES } from './node-types';

@Resolver(() => Node)
export class NodeResolver {
  @Authorized()
  @Query(() => Node, {
    description: 'Any object by its global id, with the same authorization as its direct query: what you may not see answers NOT_FOUND.',
  })
  async node(@Arg('id', () => ID, { description: 'A global id from any `id` field.' }) id: string, @Ctx() ctx: AuthedContext) {
    const parsed = fromGlobalId(id);
    // Own keys only: a type named `constructor` or `__proto__` is no type of ours.
    const type = parsed && Object.hasOwn(NODE_TYPES, parsed.type) ? NODE_TYPES[parsed.type] : undefined;
    const row = parsed && type && mayFetchNode(ctx.viewer, type) ? await type.load(ctx, parsed.id) : null;
    if (!parsed || !row) {
      // Only a known type name goes to the audit trail (the id's text is the caller's), about the
      // member the record concerns, as the type's direct query records it.
      await auditRefusedRead(ctx, type ? parsed!.type : 'Node', type ? parsed!.id : null);
      throw notFound('Node');
    }
    return Object.assign(row, { [NODE_TYPE]: parsed.type });
  }

  /** Every Node's `id` is its global id, built from the concrete type and the row's uuid. */
  @FieldResolver(() => ID)
  id(@Root() row: { id: string }, @Info() info: GraphQLResolveInfo): string {
    return toGlobalId(info.parentType.name, row.id);
  }
}
