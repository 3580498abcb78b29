import type { Catalogue } from './en';

/** Every sentence rdp-fix says, in Italian (the language of the source article). */
export const it: Catalogue = {
  engine: {
    opened: (vm: string, id: string, who: string) =>
      `Incidente ${id} per la VM ${vm}, aperto da ${who}. Controllo della VM…`,
    vmReady: () => 'La VM è in esecuzione e il suo agente è Ready.',
    vmAgentDown: (d: string) => `Run Command non può funzionare: ${d}. Si passa alla riparazione offline.`,
    vmCannotAct: (d: string) => `L'agente non può intervenire su questa VM: ${d}.`,
    notApplicable: (title: string) => `Saltato "${title}": non serve per quanto trovato e fatto finora.`,
    noCauses: () => "Non è stata trovata nessuna delle cause dell'articolo.",
    causesFound: (n: number) => `Trovate ${n} cause dell'articolo:`,
    outcomeUnknown: () =>
      "L'agente si è riavviato mentre inviava questo passaggio e non sa se è stato eseguito. Verificare, poi approvarlo di nuovo o saltarlo.",
    approved: (who: string, at: string) => `Approvato da ${who} alle ${at}`,
    skipped: (who: string, at: string) => `Saltato da ${who} alle ${at}`,
    answered: (who: string, answer: string) => `${who} ha risposto: ${answer}`,
    expired: () => "Questa approvazione è scaduta; l'incidente è chiuso. Aprirne uno nuovo per continuare.",
    running: (title: string, seconds: number) => `Esecuzione di "${title}"… ${seconds} s`,
    retrying: (reason: string, seconds: number) =>
      `Azure segnala: ${reason}; nuovo tentativo tra ${seconds} s.`,
    stepOk: (title: string) => `"${title}" è riuscito.`,
    stepFailed: (title: string, why: string) => `"${title}" non è riuscito: ${why}`,
    stepTimedOut: (title: string, limit: string, partial: string) =>
      `"${title}" interrotto dopo ${limit}: ha superato il tempo massimo e Azure lo ha fermato; lo slot Run Command della VM è di nuovo libero. ${partial ? `Output fino a quel momento: ${partial}` : 'Non ha stampato nulla prima di fermarsi.'}`,
    /** "5 minutes", "90 seconds": a step's time limit said in words. */
    duration: (seconds: number) =>
      seconds % 60 === 0
        ? `${seconds / 60} minut${seconds === 60 ? 'o' : 'i'}`
        : `${seconds} second${seconds === 1 ? 'o' : 'i'}`,
    stepUnreadable: (title: string, why: string, log: string) =>
      `L'output di "${title}" non è leggibile (${why}); non si presume alcuna causa. Log completo sulla VM: ${log}`,
    ended: {
      resolved: () => 'Risolto.',
      unresolved: () => 'Concluso senza risoluzione.',
      aborted: () => 'Interrotto.',
      expired: () => "Chiuso: un'approvazione è scaduta.",
      failed: () => "L'agente non ha potuto intervenire su questa VM.",
    },
    refused: {
      'not-approver': () => "Non sei nell'elenco degli approvatori dei passaggi di rdp-fix.",
      'self-approval': () =>
        'Hai aperto tu questo incidente; un altro approvatore deve approvarne i passaggi.',
      'not-requester': () => 'Solo chi ha aperto questo incidente può decidere sui suoi passaggi.',
      notCurrent: (step: string) =>
        `"${step}" non è il passaggio in attesa di decisione (è già stato deciso, o la scheda è vecchia).`,
      alreadyApproved: (who: string, at: string) =>
        `Già approvato da ${who} alle ${at}; viene eseguito una sola volta.`,
      closed: (id: string) => `L'incidente ${id} è già chiuso.`,
      notFound: (id: string) => `Non esiste l'incidente ${id}.`,
      invalidParams: (why: string) => `Non approvato: ${why}.`,
      invalidAnswer: (answer: string) => `"${answer}" non è una delle risposte possibili.`,
      notAllowed: () => "Solo chi ha aperto l'incidente o un approvatore può farlo.",
      noPlaybook: () => 'Playbook inesistente.',
    },
  },
};
