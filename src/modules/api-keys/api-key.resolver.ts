import { ArrayMaxSize, ArrayMinSize } from 'class-validator';
import { Arg, Authorized, Ctx, Field, ID, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { Rule, StaffViewer } from '../../auth/viewer';
import { SafeText } from '../../common/safe-text';
import type { AuthedContext } from '../../context';
import { ApiKey } from './api-key.entity';
import { ApiKeyScopeEnum } from './api-key-scope';
import { createApiKey, listApiKeys, revokeApiKey } from './api-key.service';

type AdminContext = AuthedContext & { viewer: StaffViewer };

@InputType({ description: 'A new API key for an integration.' })
class CreateApiKeyInput {
  @Field({ description: 'Name of the integration, 1–200 characters.' })
  @SafeText({ min: 1, max: 200 })
  name: string;

  @Field(() => [ApiKeyScopeEnum], { description: 'Scopes to grant (at least one).' })
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  scopes: ApiKeyScopeEnum[];
}

@InputType({ description: 'The key to revoke.' })
class RevokeApiKeyInput {
  @Field(() => ID, { description: 'Global id of the API key.' })
  @SafeText({ max: 200 })
  id: string;
}

@ObjectType({ simpleResolvers: true, description: 'Result of createApiKey. `key` is shown this once and cannot be retrieved again.' })
class CreateApiKeyPayload {
  @Field(() => ApiKey, { description: 'The key\'s record.' })
  apiKey: ApiKey;

  @Field({ description: 'The secret, `kin_…`: send it as `Authorization: Bearer kin_…`. Store it now; only its hash is kept.' })
  key: string;
}

@ObjectType({ simpleResolvers: true, description: 'Result of revokeApiKey.' })
class RevokeApiKeyPayload {
  @Field(() => ApiKey, { description: 'The revoked key.' })
  apiKey: ApiKey;
}

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Authorized(Rule.ADMIN)
  @Query(() => [ApiKey], { description: 'The clinic\'s API keys, newest first (never their secrets). Admins only.' })
  apiKeys(@Ctx() ctx: AuthedContext) {
    return listApiKeys(ctx);
  }

  @Authorized(Rule.ADMIN)
  @Mutation(() => CreateApiKeyPayload, { description: 'Creates an integration key and shows its secret once. Admins only.' })
  createApiKey(@Arg('input', { description: 'What to do; see the input type.' }) input: CreateApiKeyInput, @Ctx() ctx: AdminContext) {
    return createApiKey(ctx, input.name, input.scopes);
  }

  @Authorized(Rule.ADMIN)
  @Mutation(() => RevokeApiKeyPayload, { description: 'Revokes a key; it is refused from the next request on. Admins only.' })
  async revokeApiKey(@Arg('input', { description: 'What to do; see the input type.' }) input: RevokeApiKeyInput, @Ctx() ctx: AdminContext) {
    return { apiKey: await revokeApiKey(ctx, input.id) };
  }
}
