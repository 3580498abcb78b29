import type { Localized } from '../core/types';

/**
 * What the conversation answers itself (help, empty lists, forged buttons, VMs it cannot
 * open an incident for); the engine's own texts come with its messages. Written in Slack
 * mrkdwn: `plain()` strips the marks for the other channels.
 */
export const ChatTexts = {
  help: {
    en: [
      '*rdp-fix* — fixes Azure VMs that refuse Remote Desktop with "An internal error has occurred".',
      '`/rdp-fix <vm> [--rg <group>] [--all]` open an incident (`--all`: walk every step of the article)',
      '`/rdp-fix status` open incidents in this channel',
      '`/rdp-fix history [vm]` past incidents',
      '`/rdp-fix transcript <id>` the transcript as a Markdown file',
      '`/rdp-fix cancel <id>` abort an incident',
    ].join('\n'),
    it: [
      '*rdp-fix* — ripara le VM di Azure che rifiutano Desktop remoto con "Si è verificato un errore interno".',
      "`/rdp-fix <vm> [--rg <gruppo>] [--all]` apre un incidente (`--all`: tutti i passaggi dell'articolo)",
      '`/rdp-fix status` incidenti aperti in questo canale',
      '`/rdp-fix history [vm]` incidenti passati',
      '`/rdp-fix transcript <id>` la trascrizione come file Markdown',
      '`/rdp-fix cancel <id>` interrompe un incidente',
    ].join('\n'),
  } satisfies Localized,
  noneOpen: {
    en: 'No open incident in this channel.',
    it: 'Nessun incidente aperto in questo canale.',
  } satisfies Localized,
  noHistory: { en: 'No incident yet.', it: 'Ancora nessun incidente.' } satisfies Localized,
  badButton: {
    en: 'That button is not one rdp-fix made, or it is too old; nothing was changed.',
    it: 'Quel pulsante non è di rdp-fix o è troppo vecchio; non è stato modificato nulla.',
  } satisfies Localized,
  noScript: {
    en: 'This step runs no script.',
    it: 'Questo passaggio non esegue script.',
  } satisfies Localized,
  transcript: { en: 'Transcript', it: 'Trascrizione' } satisfies Localized,
  failed: {
    en: 'rdp-fix could not do that just now (its database or Azure did not answer). It may not have been recorded: check with `/rdp-fix status`, then try again.',
    it: 'rdp-fix non è riuscito a farlo ora (il database o Azure non hanno risposto). Potrebbe non essere stato registrato: controllare con `/rdp-fix status`, poi riprovare.',
  } satisfies Localized,
  notFound: (id: string): Localized => ({
    en: `There is no incident ${id}.`,
    it: `Non esiste l'incidente ${id}.`,
  }),
  invalidVmName: {
    en: 'That is not a valid Azure VM name (1-64 letters, digits, "_", "." or "-").',
    it: 'Non è un nome valido di VM di Azure (1-64 lettere, cifre, "_", "." o "-").',
  } satisfies Localized,
  invalidResourceGroup: {
    en: 'That is not a valid resource group name.',
    it: 'Non è un nome valido di gruppo di risorse.',
  } satisfies Localized,
  lookupFailed: (problem: string): Localized => ({
    en: `Could not look up the VM: ${problem}`,
    it: `Impossibile cercare la VM: ${problem}`,
  }),
  vmNotFound: (name: string, resourceGroup: string | undefined): Localized => {
    const where = resourceGroup ? ` in ${resourceGroup}` : '';
    return {
      en: `No VM named ${name}${where} in the subscription and resource groups rdp-fix serves.`,
      it: `Nessuna VM chiamata ${name}${where} nella sottoscrizione e nei gruppi di risorse serviti da rdp-fix.`,
    };
  },
  vmAmbiguous: (name: string, groups: string): Localized => ({
    en: `${name} exists in several resource groups (${groups}): say which with --rg <group>.`,
    it: `${name} esiste in più gruppi di risorse (${groups}): indicare quale con --rg <gruppo>.`,
  }),
};

/** Text without Slack's `*bold*` and `code` marks, for Teams and the web page. */
export function plain(text: string): string {
  return text.replace(/[*`]/g, '');
}
