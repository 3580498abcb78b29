import type { Localized } from '../core/types';

/** Builds a text in both product languages from one template function per language. */
function both<A extends unknown[]>(en: (...a: A) => string, it: (...a: A) => string) {
  return (...a: A): Localized => ({ en: en(...a), it: it(...a) });
}

/** Every sentence the engine says, in English and Italian. Channels pick the language. */
export const Texts = {
  opened: both(
    (vm: string, id: string, who: string) =>
      `Incident ${id} for VM ${vm}, opened by ${who}. Checking the VM…`,
    (vm: string, id: string, who: string) =>
      `Incidente ${id} per la VM ${vm}, aperto da ${who}. Controllo della VM…`,
  ),
  vmReady: both(
    () => 'The VM is running and its agent is Ready.',
    () => 'La VM è in esecuzione e il suo agente è Ready.',
  ),
  vmAgentDown: both(
    (d: string) => `Run Command cannot work: ${d}. Going to the offline repair.`,
    (d: string) => `Run Command non può funzionare: ${d}. Si passa alla riparazione offline.`,
  ),
  vmCannotAct: both(
    (d: string) => `The agent cannot act on this VM: ${d}.`,
    (d: string) => `L'agente non può intervenire su questa VM: ${d}.`,
  ),
  notApplicable: both(
    (title: string) => `Skipped "${title}": not needed for what was found and done so far.`,
    (title: string) => `Saltato "${title}": non serve per quanto trovato e fatto finora.`,
  ),
  noCauses: both(
    () => "None of the article's causes was found.",
    () => "Non è stata trovata nessuna delle cause dell'articolo.",
  ),
  causesFound: both(
    (n: number) => `Found ${n} of the article's causes:`,
    (n: number) => `Trovate ${n} cause dell'articolo:`,
  ),
  outcomeUnknown: both(
    () =>
      'The agent restarted while this step was being sent; it cannot tell whether it ran. Check, then approve it again or skip it.',
    () =>
      "L'agente si è riavviato mentre inviava questo passaggio e non sa se è stato eseguito. Verificare, poi approvarlo di nuovo o saltarlo.",
  ),
  approved: both(
    (who: string, at: string) => `Approved by ${who} at ${at}`,
    (who: string, at: string) => `Approvato da ${who} alle ${at}`,
  ),
  skipped: both(
    (who: string, at: string) => `Skipped by ${who} at ${at}`,
    (who: string, at: string) => `Saltato da ${who} alle ${at}`,
  ),
  answered: both(
    (who: string, answer: string) => `${who} answered: ${answer}`,
    (who: string, answer: string) => `${who} ha risposto: ${answer}`,
  ),
  expired: both(
    () => 'This approval expired; the incident is closed. Start a new one to continue.',
    () => "Questa approvazione è scaduta; l'incidente è chiuso. Aprirne uno nuovo per continuare.",
  ),
  running: both(
    (title: string, seconds: number) => `Running "${title}"… ${seconds} s`,
    (title: string, seconds: number) => `Esecuzione di "${title}"… ${seconds} s`,
  ),
  retrying: both(
    (reason: string, seconds: number) => `Azure says ${reason}; trying again in ${seconds} s.`,
    (reason: string, seconds: number) => `Azure segnala: ${reason}; nuovo tentativo tra ${seconds} s.`,
  ),
  stepOk: both(
    (title: string) => `"${title}" succeeded.`,
    (title: string) => `"${title}" è riuscito.`,
  ),
  stepFailed: both(
    (title: string, why: string) => `"${title}" failed: ${why}`,
    (title: string, why: string) => `"${title}" non è riuscito: ${why}`,
  ),
  stepTimedOut: both(
    (title: string, limit: string, partial: string) =>
      `"${title}" stopped after ${limit}: it ran past its time limit and Azure ended it; the VM's Run Command slot is free again. ${partial ? `Output so far: ${partial}` : 'It printed nothing before it stopped.'}`,
    (title: string, limit: string, partial: string) =>
      `"${title}" interrotto dopo ${limit}: ha superato il tempo massimo e Azure lo ha fermato; lo slot Run Command della VM è di nuovo libero. ${partial ? `Output fino a quel momento: ${partial}` : 'Non ha stampato nulla prima di fermarsi.'}`,
  ),
  /** "5 minutes", "90 seconds": a step's time limit said in words. */
  duration: both(
    (seconds: number) =>
      seconds % 60 === 0
        ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}`
        : `${seconds} second${seconds === 1 ? '' : 's'}`,
    (seconds: number) =>
      seconds % 60 === 0
        ? `${seconds / 60} minut${seconds === 60 ? 'o' : 'i'}`
        : `${seconds} second${seconds === 1 ? 'o' : 'i'}`,
  ),
  stepUnreadable: both(
    (title: string, why: string, log: string) =>
      `The output of "${title}" is unreadable (${why}); no cause is assumed. Full log on the VM: ${log}`,
    (title: string, why: string, log: string) =>
      `L'output di "${title}" non è leggibile (${why}); non si presume alcuna causa. Log completo sulla VM: ${log}`,
  ),
  ended: {
    resolved: both(
      () => 'Resolved.',
      () => 'Risolto.',
    ),
    unresolved: both(
      () => 'Ended without a resolution.',
      () => 'Concluso senza risoluzione.',
    ),
    aborted: both(
      () => 'Aborted.',
      () => 'Interrotto.',
    ),
    expired: both(
      () => 'Closed: an approval expired.',
      () => "Chiuso: un'approvazione è scaduta.",
    ),
    failed: both(
      () => 'The agent could not act on this VM.',
      () => "L'agente non ha potuto intervenire su questa VM.",
    ),
  },
  refused: {
    'not-approver': both(
      () => 'You are not on the approver list for rdp-fix steps.',
      () => "Non sei nell'elenco degli approvatori dei passaggi di rdp-fix.",
    ),
    'self-approval': both(
      () => 'You opened this incident; another approver must approve its steps.',
      () => 'Hai aperto tu questo incidente; un altro approvatore deve approvarne i passaggi.',
    ),
    'not-requester': both(
      () => 'Only the person who opened this incident can decide on its steps.',
      () => 'Solo chi ha aperto questo incidente può decidere sui suoi passaggi.',
    ),
    notCurrent: both(
      (step: string) =>
        `"${step}" is not the step waiting for a decision (it was already decided, or the card is old).`,
      (step: string) =>
        `"${step}" non è il passaggio in attesa di decisione (è già stato deciso, o la scheda è vecchia).`,
    ),
    alreadyApproved: both(
      (who: string, at: string) => `Already approved by ${who} at ${at}; it runs once.`,
      (who: string, at: string) => `Già approvato da ${who} alle ${at}; viene eseguito una sola volta.`,
    ),
    closed: both(
      (id: string) => `Incident ${id} is already closed.`,
      (id: string) => `L'incidente ${id} è già chiuso.`,
    ),
    notFound: both(
      (id: string) => `There is no incident ${id}.`,
      (id: string) => `Non esiste l'incidente ${id}.`,
    ),
    invalidParams: both(
      (why: string) => `Not approved: ${why}.`,
      (why: string) => `Non approvato: ${why}.`,
    ),
    invalidAnswer: both(
      (answer: string) => `"${answer}" is not one of this question's answers.`,
      (answer: string) => `"${answer}" non è una delle risposte possibili.`,
    ),
    notAllowed: both(
      () => 'Only the requester or an approver can do that.',
      () => "Solo chi ha aperto l'incidente o un approvatore può farlo.",
    ),
    noPlaybook: both(
      () => 'No such playbook.',
      () => 'Playbook inesistente.',
    ),
  },
} as const;
