import type { RequestContext } from './context';

export type LoaderFactory<T> = (ctx: RequestContext) => T;

/**
 * Per-request loader sets. Each module exports a factory; the first use in a request builds
 * that module's loaders, so nothing is ever shared between requests (or viewers).
 */
export class Loaders {
  private readonly sets = new Map<LoaderFactory<unknown>, unknown>();

  constructor(private readonly ctx: () => RequestContext) {}

  of<T>(factory: LoaderFactory<T>): T {
    let set = this.sets.get(factory as LoaderFactory<unknown>) as T | undefined;
    if (set === undefined) {
      set = factory(this.ctx());
      this.sets.set(factory as LoaderFactory<unknown>, set);
    }
    return set;
  }

  /**
   * Drops every loader set of the request: later fields read afresh. For writes that change what
   * the viewer may see (a consent granted or revoked), whose answers reach many loaders' caches.
   */
  forgetAll(): void {
    this.sets.clear();
  }
}
