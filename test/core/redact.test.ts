import { redact } from '../../src/core/redact';

test.each([
  ['Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789', 'Authorization: Bearer [redacted]'],
  [
    'token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl end',
    'token [redacted jwt] end',
  ],
  ['slack xoxb-1234567890-abcdefghij', 'slack [redacted slack token]'],
  [
    'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=AbC123+/==;',
    'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=[redacted];',
  ],
  ['net use \\\\srv password=Hunter2 /user:x', 'net use \\\\srv password=[redacted] /user:x'],
  ['{"clientSecret": "s3cr3t", "user": "bob"}', '{"clientSecret": "[redacted]", "user": "bob"}'],
])('%s', (input, expected) => {
  expect(redact(input)).toBe(expected);
});

test('ordinary output is left alone', () => {
  const text =
    'RDPFIX-RESULT: {"step":"diagnose","ok":true,"data":{"rdpPort":3389,"thumbprint":"3F2A6B1C9D8E7F60514233A4B5C6D7E8F9012345"}}';
  expect(redact(text)).toBe(text);
});
