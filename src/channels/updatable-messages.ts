import type { MessageRefs } from './message-refs';

/**
 * Messages that are posted once and then updated in place (progress of a running step).
 * The id is kept as a promise: an update that arrives while the first post is still on its
 * way waits for it instead of posting a second message. Ids are also kept in the store, so
 * that another replica (or this one after a restart) updates the same message.
 */
export class UpdatableMessages {
  private readonly ids = new Map<string, Promise<string | undefined>>();

  async show(
    refs: MessageRefs<string>,
    key: string,
    done: boolean,
    post: () => Promise<string | undefined>,
    update: (id: string) => Promise<unknown>,
    /** Nobody posted this line before (the engine's `unposted`): no need to look it up. */
    unposted = false,
  ): Promise<void> {
    const pending = this.ids.get(key);
    if (pending) {
      const id = await pending;
      if (id) await update(id);
    } else {
      let posted = false;
      const lookup = unposted ? Promise.resolve(undefined) : refs.get(key);
      const first = lookup.then(async (known) => {
        if (known) return known;
        posted = true;
        const id = await post();
        if (id) await refs.set(key, id);
        return id;
      });
      this.ids.set(key, first);
      // A post (or read) that failed is not kept: every later show would fail on it, the step's
      // result included, until its retries ran out. The next show tries again.
      first.catch(() => {
        if (this.ids.get(key) === first) this.ids.delete(key);
      });
      const id = await first;
      if (id && !posted) await update(id);
    }
    if (done) this.ids.delete(key);
  }
}
