import DataLoader from 'dataloader';
import { In } from 'typeorm';
import type { RequestContext } from '../../context';
import { ExternalIdentifier } from './external-identifier.entity';

export const externalIdLoaders = (ctx: RequestContext) => ({
  /** All identifiers of a record, by the record's uuid. */
  byResource: new DataLoader<string, ExternalIdentifier[]>(async (ids) => {
    const rows = await ctx.db.manager.find(ExternalIdentifier, {
      where: { resourceId: In([...ids]) },
      order: { system: 'ASC', value: 'ASC' },
    });
    return ids.map((id) => rows.filter((r) => r.resourceId === id));
  }),
});
