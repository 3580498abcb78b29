import { ErrorCodes, isRdpFixError, messageOf, Refusal } from '../../src/core/errors';

test('messageOf says what any thrown value says', () => {
  expect(messageOf(new Error('boom'))).toBe('boom');
  // The Azure SDK and pg reject with Error subclasses; some callbacks reject with plain objects.
  expect(messageOf({ message: 'plain object', code: 'X' })).toBe('plain object');
  expect(messageOf('a string')).toBe('a string');
  expect(messageOf(undefined)).toBe('undefined');
  expect(messageOf({ message: 42 })).toBe('[object Object]');
});

test('a refusal is a coded error with its reason in each language', () => {
  const refusal = new Refusal(ErrorCodes.NotAuthorised, { en: 'no', it: 'no (it)' });
  expect(isRdpFixError(refusal)).toBe(true);
  expect(refusal).toMatchObject({ code: 'NOT_AUTHORISED', message: 'no', text: { it: 'no (it)' } });
});

test('every error code is unique', () => {
  const codes = Object.values(ErrorCodes);
  expect(new Set(codes).size).toBe(codes.length);
});
