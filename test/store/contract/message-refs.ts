import type { MessageRefStore } from '../../../src/store/incident-store';
import { type Closeable, T0, T1 } from './fixtures';

/** The MessageRefStore contract: one value per key, shared by every replica on the store. */
export function describeMessageRefsContract(name: string, make: () => Promise<MessageRefStore & Closeable>) {
  describe(`MessageRefStore contract: ${name}`, () => {
    let store: MessageRefStore & Closeable;
    beforeEach(async () => {
      store = await make();
    });
    afterEach(async () => {
      await store.close();
    });

    test('message refs are shared: the last value wins', async () => {
      expect(await store.getRef('slack:card:i1:x:1')).toBeUndefined();
      await store.setRef('slack:card:i1:x:1', '{"ts":"1"}', T0);
      await store.setRef('slack:card:i1:x:1', '{"ts":"2"}', T1);
      expect(await store.getRef('slack:card:i1:x:1')).toBe('{"ts":"2"}');
    });
  });
}
