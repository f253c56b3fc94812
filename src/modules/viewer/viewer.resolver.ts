import { Authorized, Ctx, Field, FieldResolver, ObjectType, Query, registerEnumType, Resolver, Root } from 'type-graphql';
import type { AuthedContext } from '../../context';
import { ApiKey } from '../api-keys/api-key.entity';
import { ApiKeyScopeEnum } from '../api-keys/api-key-scope';
import { Client } from '../clients/client.entity';
import { clientLoaders } from '../clients/client.loaders';
import { ConsentRecord } from '../consent/consent-record.entity';
import { consentLoaders } from '../consent/consent.loaders';
import { StaffMember } from '../staff/staff-member.entity';
import { staffLoaders } from '../staff/staff.loaders';

export enum ViewerKind {
  STAFF = 'STAFF',
  MEMBER = 'MEMBER',
  INTEGRATION = 'INTEGRATION',
}
registerEnumType(ViewerKind, {
  name: 'ViewerKind',
  description: 'How the caller authenticated.',
  valuesConfig: {
    STAFF: { description: 'A staff member with a JWT.' },
    MEMBER: { description: 'A client (group member) with a JWT.' },
    INTEGRATION: { description: 'An integration with an API key.' },
  },
});

@ObjectType({ simpleResolvers: true, description: 'Who is calling: exactly one of `staffMember`, `client` or `apiKey` is set.' })
export class ViewerInfo {
  @Field(() => ViewerKind, { description: 'How the caller authenticated.' })
  kind: ViewerKind;

  @Field(() => [ApiKeyScopeEnum], { description: 'For integrations, the key\'s scopes; empty otherwise.' })
  scopes: ApiKeyScopeEnum[];

  staffId?: string;
  clientId?: string;
  apiKeyId?: string;
}

@Resolver(() => ViewerInfo)
export class ViewerResolver {
  @Authorized()
  @Query(() => ViewerInfo, { description: 'The authenticated caller. Any authenticated viewer.' })
  viewer(@Ctx() ctx: AuthedContext): ViewerInfo {
    const v = ctx.viewer;
    switch (v.kind) {
      case 'STAFF':
        return { kind: ViewerKind.STAFF, scopes: [], staffId: v.staffId };
      case 'MEMBER':
        return { kind: ViewerKind.MEMBER, scopes: [], clientId: v.clientId };
      case 'INTEGRATION':
        return { kind: ViewerKind.INTEGRATION, scopes: [...v.scopes] as string[] as ApiKeyScopeEnum[], apiKeyId: v.apiKeyId };
    }
  }

  @FieldResolver(() => StaffMember, { nullable: true, description: 'The signed-in staff member.' })
  staffMember(@Root() info: ViewerInfo, @Ctx() ctx: AuthedContext) {
    return info.staffId ? ctx.loaders.of(staffLoaders).byId.load(info.staffId) : null;
  }

  @FieldResolver(() => Client, { nullable: true, description: 'The signed-in member\'s own client record (audited as a read).' })
  client(@Root() info: ViewerInfo, @Ctx() ctx: AuthedContext) {
    return info.clientId ? ctx.loaders.of(clientLoaders).visibleById.load(info.clientId) : null;
  }

  @FieldResolver(() => ApiKey, { nullable: true, description: 'The calling integration\'s key record (never its secret).' })
  apiKey(@Root() info: ViewerInfo, @Ctx() ctx: AuthedContext) {
    return info.apiKeyId ? ctx.db.manager.findOneBy(ApiKey, { id: info.apiKeyId }) : null;
  }

  @FieldResolver(() => [ConsentRecord], { nullable: true, description: 'A member\'s own consents, newest first, with history. Null for staff and integrations.' })
  consents(@Root() info: ViewerInfo, @Ctx() ctx: AuthedContext) {
    return info.clientId ? ctx.loaders.of(consentLoaders).byClient.load(info.clientId) : null;
  }
}
