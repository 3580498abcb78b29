import type { Localized, Risk } from '../core/types';

/** The words on step cards, the same in every channel. */
export const CardLabels = {
  approve: { en: 'Approve', it: 'Approva' },
  skip: { en: 'Skip', it: 'Salta' },
  abort: { en: 'Abort', it: 'Interrompi' },
  cancel: { en: 'Cancel', it: 'Annulla' },
  showScript: { en: 'Show script', it: 'Mostra script' },
  confirmTitle: { en: 'Are you sure?', it: 'Confermi?' },
  confirmText: { en: 'This step', it: 'Questo passaggio' },
  because: { en: 'Because', it: 'Perché' },
  risk: { en: 'Risk', it: 'Rischio' },
  parameters: { en: 'Parameters', it: 'Parametri' },
} satisfies Record<string, Localized>;

export const RiskLabels: Record<Risk, Localized> = {
  readOnly: { en: 'read-only', it: 'sola lettura' },
  changesAzure: { en: 'changes Azure', it: 'modifica Azure' },
  changesConfig: { en: 'changes VM configuration', it: 'modifica la configurazione della VM' },
  restartsVm: { en: 'restarts the VM', it: 'riavvia la VM' },
};
