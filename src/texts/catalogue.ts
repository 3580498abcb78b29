import type { Localized } from '../core/types';
import { type Catalogue, en } from './en';
import { it } from './it';

/** A catalogue entry in every language: a text becomes `{en, it}`, a template a function returning one. */
export type Localize<T> = T extends (...args: infer A) => string
  ? (...args: A) => Localized
  : T extends string
    ? Localized
    : { [K in keyof T]: Localize<T[K]> };

/**
 * The two catalogues zipped by key, so that a message carries every language and each
 * reader (a channel, the transcript) picks theirs.
 */
function zip(en: unknown, it: unknown): unknown {
  if (typeof en === 'function') {
    const inItalian = it as (...args: unknown[]) => string;
    return (...args: unknown[]): Localized => ({ en: en(...args) as string, it: inItalian(...args) });
  }
  if (typeof en === 'string') return { en, it: it as string } satisfies Localized;
  const italian = it as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(en as object).map(([key, value]) => [key, zip(value, italian[key])]),
  );
}

/** Every text rdp-fix says, localized. */
export const Texts = zip(en, it) as Localize<Catalogue>;
