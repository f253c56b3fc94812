import fs from 'node:fs';
import path from 'node:path';
import {
  GraphQLNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
} from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { getSchema, printContract, RESOLVERS } from '../../src/schema';

const COMMITTED = path.join(__dirname, '..', '..', 'schema.graphql');

/** Types the schema defines itself: not graphql-js introspection types, not String/Int/Float/Boolean/ID. */
const ownTypes = (): GraphQLNamedType[] =>
  Object.values(getSchema().getTypeMap()).filter((t) => !isIntrospectionType(t) && !isSpecifiedScalarType(t));

const undescribed = (description: string | null | undefined) => !description?.trim();

describe('the schema contract', () => {
  it('matches the committed schema.graphql (run `npm run schema:emit` if this fails)', () => {
    const emitted = printContract();
    const committed = fs.readFileSync(COMMITTED, 'utf8');
    if (emitted !== committed) {
      const [e, c] = [emitted.split('\n'), committed.split('\n')];
      const at = e.findIndex((line, i) => line !== c[i]);
      const excerpt = (lines: string[]) => lines.slice(Math.max(0, at - 3), at + 4).join('\n');
      throw new Error(
        `schema.graphql is out of date with the code: run \`npm run schema:emit\` and commit the result.\n` +
          `First difference at line ${at + 1}.\n--- committed\n${excerpt(c)}\n+++ emitted\n${excerpt(e)}`,
      );
    }
  });

  it('declares who may call every query and mutation', () => {
    const storage = getMetadataStorage();
    // The storage is process-global: other test files' module registries add their own copies of
    // the same classes. Only this registry's resolvers (the ones the schema is built from) count.
    const ours = (m: { target: Function }) => (RESOLVERS as Function[]).includes(m.target);
    const operations = [
      ...storage.queries.filter(ours).map((q) => ({ kind: 'Query', target: q.target, name: q.methodName, schemaName: q.schemaName })),
      ...storage.mutations.filter(ours).map((m) => ({ kind: 'Mutation', target: m.target, name: m.methodName, schemaName: m.schemaName })),
    ];
    const declared = (op: (typeof operations)[number]) =>
      storage.authorizedFields.some((a) => a.target === op.target && a.fieldName === op.name) ||
      // a resolver class may also declare its rule once for all its operations
      storage.authorizedResolver.some((a) => a.target === op.target);
    const unguarded = operations.filter((op) => !declared(op)).map((op) => `${op.kind}.${op.schemaName} (${op.target.name}.${op.name})`);
    expect(unguarded).toEqual([]);

    // the check saw the whole API: every root field of the built schema is one of these operations
    const schema = getSchema();
    const rootFields = [
      ...Object.keys(schema.getQueryType()!.getFields()).map((f) => `Query.${f}`),
      ...Object.keys(schema.getMutationType()?.getFields() ?? {}).map((f) => `Mutation.${f}`),
    ].sort();
    expect(operations.map((op) => `${op.kind}.${op.schemaName}`).sort()).toEqual(rootFields);
  });

  it('describes every type', () => {
    const offenders = ownTypes()
      .filter((t) => undescribed(t.description))
      .map((t) => t.name);
    expect(offenders).toEqual([]);
  });

  it('describes every field, argument and enum value', () => {
    const offenders: string[] = [];
    for (const type of ownTypes()) {
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (undescribed(field.description)) offenders.push(`${type.name}.${field.name}`);
          for (const arg of field.args) if (undescribed(arg.description)) offenders.push(`${type.name}.${field.name}(${arg.name})`);
        }
      } else if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) if (undescribed(field.description)) offenders.push(`${type.name}.${field.name}`);
      } else if (isEnumType(type)) {
        for (const value of type.getValues()) if (undescribed(value.description)) offenders.push(`${type.name}.${value.name}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
