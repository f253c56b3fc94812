import { Field, ID, InterfaceType } from 'type-graphql';

/** Set on rows returned by `node(id)` so the interface can name their concrete type. */
export const NODE_TYPE = Symbol('nodeType');

@InterfaceType({
  description: 'An object with a globally unique, opaque id that `node(id:)` can fetch again.',
  resolveType: (value: Record<string | symbol, unknown>) =>
    (value[NODE_TYPE] as string | undefined) ?? (value.constructor?.name as string),
})
export abstract class Node {
  @Field(() => ID, { description: 'Globally unique, opaque id of this object.' })
  id: string;
}
