/** Languages the product speaks. English is the fallback. */
export const Locales = ['en', 'it'] as const;
export type Locale = (typeof Locales)[number];

/** A text in every product language. */
export type Localized = Record<Locale, string>;

/** Builds a text in every language from one function of the language. */
export function perLocale(make: (locale: Locale) => string): Localized {
  return { en: make('en'), it: make('it') };
}

/** Picks the product locale for a platform locale tag such as `it-IT` or `en_US`. */
export function toLocale(tag: string | undefined, fallback: Locale = 'en'): Locale {
  const lang = (tag ?? '').slice(0, 2).toLowerCase();
  return (Locales as readonly string[]).includes(lang) ? (lang as Locale) : fallback;
}

/** A person on a chat platform. `id` is the platform's stable id (Slack user id, Entra object id). */
export interface User {
  id: string;
  name?: string;
}

/** Where an incident lives: a platform thread. `thread` is filled once the root message exists. */
export interface ChannelRef {
  platform: 'slack' | 'teams' | 'web' | 'cli';
  channel: string;
  thread?: string;
  /** The platform's own address of the conversation (Teams: the conversation reference), for proactive posts. */
  reference?: Record<string, unknown>;
}

/** A resolved Azure VM. */
export interface VmRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

export function formatVm(vm: VmRef): string {
  return `${vm.resourceGroup}/${vm.name}`;
}

/** How much a step can change. Ordered from harmless to disruptive. */
export const Risks = ['readOnly', 'changesAzure', 'changesConfig', 'restartsVm'] as const;
export type Risk = (typeof Risks)[number];
