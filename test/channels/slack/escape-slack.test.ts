import { clip, escapeSlack, escapeSlackCode, mrkdwnText } from '../../../src/channels/slack/escape-slack';

test.each([
  [
    '<!channel> <@U123> <https://evil.example|click>',
    '&lt;!channel&gt; &lt;@U123&gt; &lt;https:\u2060//evil.example|click&gt;',
  ],
  ['&amp; & <>', '&amp;amp; &amp; &lt;&gt;'],
  ['*bold* _it_ ~s~ `c`', '\u2217bold\u2217 \u02CDit\u02CD \u223Cs\u223C \u02CBc\u02CB'],
  [
    'vm_web_01 U_BOB a*b~c stay as typed, _x_ does not',
    'vm_web_01 U_BOB a*b~c stay as typed, \u02CDx\u02CD does not',
  ],
  ['> quoted\nline\n> again', '\u00AD&gt; quoted\nline\n\u00AD&gt; again'],
  ['see https://evil.example/sso', 'see https:\u2060//evil.example/sso'],
  ['@here @Channel @everyone @heresy', '@\u2060here @\u2060Channel @\u2060everyone @heresy'],
  ['invoice\u202Eexe.txt', 'invoice\uFFFDexe.txt'],
  ['🔥 emoji and àccents stay', '🔥 emoji and àccents stay'],
])('escapeSlack(%j)', (input, expected) => {
  expect(escapeSlack(input)).toBe(expected);
});

test('our code blocks keep PowerShell readable and cannot be closed early', () => {
  expect(escapeSlackCode('$_ -gt 1 <# c #> ```')).toBe('$_ -gt 1 &lt;# c #&gt; `\u2060``');
});

test('mrkdwn objects are verbatim and within 3,000 characters, emoji never split', () => {
  expect(mrkdwnText('x')).toEqual({ type: 'mrkdwn', text: 'x', verbatim: true });
  expect(mrkdwnText('x'.repeat(10_000)).text.length).toBeLessThanOrEqual(3000);
  const cut = clip(`${'x'.repeat(2899)}🔥🔥`);
  expect(cut).toBe(`${'x'.repeat(2899)}…`);
  expect(() => encodeURIComponent(cut)).not.toThrow();
});
