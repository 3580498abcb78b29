import { redact, redactData } from '../../src/core/redact';

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
  // issue 17 item 8: the forms the review found passing through.
  ['password: Hunter2', 'password: [redacted]'],
  ['Password : "Hunter 2" next', 'Password : [redacted] next'],
  [
    '$p = ConvertTo-SecureString "Pa55w0rd!" -AsPlainText -Force',
    '$p = ConvertTo-SecureString [redacted] -AsPlainText -Force',
  ],
  [
    "ConvertTo-SecureString -String 'Pa55w0rd!' -AsPlainText",
    'ConvertTo-SecureString -String [redacted] -AsPlainText',
  ],
  ['app xapp-1-A0123456789-1234567890123-abcdef0123456789', 'app [redacted slack token]'],
  ['gh ghp_0123456789abcdefghijABCDEFGHIJ012345 ok', 'gh [redacted github token] ok'],
  ['id AKIAIOSFODNN7EXAMPLE,', 'id [redacted aws key id],'],
  ['clientSecret: abc.def~ghi', 'clientSecret: [redacted]'],
  ['client_secret=abc123&grant_type=x', 'client_secret=[redacted]&grant_type=x'],
  [
    'Connect-AzAccount -ClientSecret s3cr3t -Tenant t',
    'Connect-AzAccount -ClientSecret [redacted] -Tenant t',
  ],
  ['token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl', 'token=[redacted jwt]'],
])('%s', (input, expected) => {
  expect(redact(input)).toBe(expected);
});

test('ordinary output is left alone', () => {
  const text =
    'RDPFIX-RESULT: {"step":"diagnose","ok":true,"data":{"rdpPort":3389,"thumbprint":"3F2A6B1C9D8E7F60514233A4B5C6D7E8F9012345"}}';
  expect(redact(text)).toBe(text);
});

test('parsed data is redacted at every depth, its shape kept', () => {
  const data = {
    rdpPort: 3389,
    listener: { process: 'svc password=Hunter2', services: ['ok', 'xoxb-1234567890-abcdefghij'] },
    nested: [{ clientSecret: 's3cr3t' }, { password: 12345 }, { token: null }],
    certificate: { present: true, thumbprint: '3F2A6B1C9D8E7F60514233A4B5C6D7E8F9012345' },
  };
  expect(redactData(data)).toEqual({
    rdpPort: 3389,
    listener: { process: 'svc password=[redacted]', services: ['ok', '[redacted slack token]'] },
    nested: [{ clientSecret: '[redacted]' }, { password: '[redacted]' }, { token: null }],
    certificate: { present: true, thumbprint: '3F2A6B1C9D8E7F60514233A4B5C6D7E8F9012345' },
  });
});
