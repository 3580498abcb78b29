import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Texts } from '../../src/texts/catalogue';
import { en } from '../../src/texts/en';
import { it } from '../../src/texts/it';

/**
 * Where two catalogues differ in shape: a key missing in one, a text where the other has a
 * template, or a template taking a different number of parameters. The compiler checks the
 * Italian catalogue's type against the English one; this catches what a cast or a plain
 * object could slip past, and says the path.
 */
function differences(reference: unknown, other: unknown, path = ''): string[] {
  if (typeof reference === 'function') {
    if (typeof other !== 'function') return [`${path}: a template in en, ${typeof other} in it`];
    return reference.length === other.length
      ? []
      : [`${path}: ${reference.length} parameters in en, ${other.length} in it`];
  }
  if (typeof reference === 'string')
    return typeof other === 'string' && other.trim() !== '' ? [] : [`${path}: no text in it`];
  if (typeof other !== 'object' || other === null) return [`${path}: missing in it`];
  const a = reference as Record<string, unknown>;
  const b = other as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((key) => {
    const at = path ? `${path}.${key}` : key;
    if (!(key in a)) return [`${at}: only in it`];
    if (!(key in b)) return [`${at}: missing in it`];
    return differences(a[key], b[key], at);
  });
}

test('the Italian catalogue has every English key, with the same parameters', () => {
  expect(differences(en, it)).toEqual([]);
});

test('a missing or reshaped key is found, with its path', () => {
  const engine = { ...it.engine } as Record<string, unknown>;
  delete engine.vmReady;
  engine.approved = (who: string) => who;
  engine.extra = 'x';
  expect(differences(en, { ...it, engine })).toEqual(
    expect.arrayContaining([
      'engine.vmReady: missing in it',
      'engine.approved: 2 parameters in en, 1 in it',
      'engine.extra: only in it',
    ]),
  );
});

test('the localized catalogue gives every language for texts and templates', () => {
  expect(Texts.engine.vmReady()).toEqual({ en: en.engine.vmReady(), it: it.engine.vmReady() });
  expect(Texts.engine.refused.notFound('abc')).toEqual({
    en: 'There is no incident abc.',
    it: "Non esiste l'incidente abc.",
  });
});

/**
 * Channels escape every text the engine and the conversation hand them, whole, for their
 * target (src/channels/slack/escape-slack.ts): that works only while those texts carry no
 * markup of their own. The Slack help and "failed" texts are the exceptions, used by the
 * channels as markup and never given data.
 */
// Marks that format or link: *bold*, _italic_, ~strike~, `code`, [x](url), <url|x>, <@U>, <!here>.
const Markup = /\*[^*\s][^*]*\*|(^|\W)_[^_\s][^_]*_|~[^~\s][^~]*~|`[^`]+`|\]\(|<(https?:|[@#!])/;

test('engine and chat texts are plain text: no markup a channel would have to keep', () => {
  const found: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (['chat.help', 'chat.failed'].includes(path)) return;
    if (typeof value === 'function') {
      const args = Array.from({ length: value.length }, () => 1);
      walk((value as (...a: unknown[]) => unknown)(...args), path);
    } else if (typeof value === 'string') {
      if (Markup.test(value)) found.push(`${path}: ${value}`);
    } else if (value && typeof value === 'object')
      for (const [key, v] of Object.entries(value)) walk(v, path ? `${path}.${key}` : key);
  };
  for (const catalogue of [en, it]) {
    walk(catalogue.engine, 'engine');
    walk(catalogue.chat, 'chat');
  }
  expect(found).toEqual([]);
});

test('playbook texts are plain text too (titles, explanations, reasons, results are said as data)', () => {
  const dialogs = join(__dirname, '..', '..', 'dialogs');
  const found: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (typeof value === 'string') {
      if (/\.(en|it)$/.test(path) && Markup.test(value)) found.push(`${path}: ${value}`);
    } else if (value && typeof value === 'object')
      for (const [key, v] of Object.entries(value)) walk(v, `${path}.${key}`);
  };
  for (const dialog of readdirSync(dialogs))
    walk(parse(readFileSync(join(dialogs, dialog, 'playbook.yaml'), 'utf8')), dialog);
  expect(found).toEqual([]);
});
