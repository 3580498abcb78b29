/**
 * Messages that are posted once and then updated in place (progress of a running step).
 * The id is kept as a promise: an update that arrives while the first post is still on its
 * way waits for it instead of posting a second message.
 */
export class UpdatableMessages {
  private readonly ids = new Map<string, Promise<string | undefined>>();

  async show(
    key: string,
    done: boolean,
    post: () => Promise<string | undefined>,
    update: (id: string) => Promise<unknown>,
  ): Promise<void> {
    const posted = this.ids.get(key);
    if (posted) {
      const id = await posted;
      if (id) await update(id);
    } else {
      const first = post();
      this.ids.set(key, first);
      await first;
    }
    if (done) this.ids.delete(key);
  }
}
