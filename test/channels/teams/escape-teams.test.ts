import { escapeTeamsMarkdown, textRun } from '../../../src/channels/teams/escape-teams';

test.each([
  [
    '[Re-authenticate](https://evil.example/sso)',
    '\\[Re-authenticate\\]\\(https:\u2060//evil.example/sso\\)',
  ],
  ['<at>General</at>', '&lt;at&gt;General&lt;/at&gt;'],
  ['**bold** _it_ ~s~ `c`', '\\*\\*bold\\*\\* \\_it\\_ \\~s\\~ \\`c\\`'],
  ['&amp;', '&amp;amp;'],
  ['- item\n1. first', '\\- item\n1\\. first'],
  ['C:\\logs\\x.log', 'C:\\\\logs\\\\x.log'],
  ['invoice\u202Eexe.txt', 'invoice\uFFFDexe.txt'],
  ['vm-web-01 in rg-sim', 'vm-web-01 in rg-sim'],
])('escapeTeamsMarkdown(%j)', (input, expected) => {
  expect(escapeTeamsMarkdown(input)).toBe(expected);
});

test('a TextRun shows the text as written, cut well within a Teams message, emoji never split', () => {
  expect(textRun('[x](https://e) <at>a</at>')).toEqual({
    type: 'TextRun',
    text: '[x](https://e) <at>a</at>',
  });
  const long = textRun(`${'x'.repeat(2999)}🔥`).text as string;
  expect(long).toBe(`${'x'.repeat(2999)}…`);
});
