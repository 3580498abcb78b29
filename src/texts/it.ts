import type { Catalogue } from './en';

/** Every sentence rdp-fix says, in Italian (the language of the source article). */
export const it: Catalogue = {
  engine: {
    opened: (vm: string, id: string, who: string) =>
      `Incidente ${id} per la VM ${vm}, aperto da ${who}. Controllo della VM…`,
    vmReady: () => 'La VM è in esecuzione e il suo agente è Ready.',
    vmAgentDown: (d: string) => `Run Command non può funzionare: ${d}. Si passa alla riparazione offline.`,
    vmCannotAct: (d: string) => `L'agente non può intervenire su questa VM: ${d}.`,
    vmStopped: (d: string) =>
      `Su questa VM non si può ancora verificare nulla: ${d}. Prima deve essere in esecuzione.`,
    vmNotRunning: (d: string, group: string, vm: string) =>
      `L'agente non può intervenire su questa VM: ${d}. Se è arrestata o deallocata, avviarla (portale di Azure: la VM → Avvia, oppure "az vm start --resource-group ${group} --name ${vm}"); se Azure la sta ancora creando o aggiornando, attendere. Quando risulta In esecuzione, chiedere di nuovo.`,
    permissionMissing: (action: string) =>
      `Cosa fare: all'identità Azure di rdp-fix manca l'autorizzazione ${action}. Un amministratore di Azure le assegna il ruolo personalizzato "rdp-fix operator" (deploy/azure/rdp-fix-operator.role.json, che concede tutte le azioni necessarie all'agente) sul gruppo di risorse della VM. Quando l'assegnazione è visibile (può richiedere qualche minuto), scegliere Ripeti la diagnosi: fino ad allora viene rifiutata allo stesso modo.`,
    notApplicable: (title: string) => `Saltato "${title}": non serve per quanto trovato e fatto finora.`,
    noCauses: () => "Non è stata trovata nessuna delle cause dell'articolo.",
    causesFound: (n: number) => `Trovate ${n} cause dell'articolo:`,
    notChecked: (list: string) =>
      `Non è stato possibile verificare: ${list}. Per questi punti non viene proposto nulla per ipotesi.`,
    outcomeUnknown: () =>
      "L'agente si è riavviato mentre inviava questo passaggio e non sa se è stato eseguito. Verificare, poi approvarlo di nuovo o saltarlo.",
    approved: (who: string, at: string) => `Approvato da ${who} alle ${at}`,
    firstApproval: (who: string, at: string) =>
      `Approvato da ${who} alle ${at}, in attesa di un secondo approvatore.`,
    secondApprovalNeeded: (who: string) =>
      `Approvato da ${who}, in attesa di un secondo approvatore: questo passaggio richiede due approvatori diversi.`,
    approvedValues: (values: string) =>
      `Approvato con ${values}; la seconda approvazione esegue questi valori.`,
    scriptChanged: () =>
      'Lo script di questo passaggio è cambiato da quando la scheda è stata pubblicata; non è stato eseguito nulla.',
    scriptChangedNotice: () =>
      'Lo script di questo passaggio è cambiato: questa scheda mostra quello attuale.',
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
      undoAsked: (who: string) =>
        `${who} ha chiesto di annullare le modifiche di questo incidente: segue la scheda.`,
      undoStepAsked: (who: string, step: string) =>
        `${who} ha chiesto di annullare la modifica di "${step}": segue la scheda.`,
      expired: () => "Chiuso: un'approvazione è scaduta.",
      failed: () => "L'agente non ha potuto intervenire su questa VM.",
    },
    refused: {
      'not-approver': () => "Non sei nell'elenco degli approvatori dei passaggi di rdp-fix.",
      'self-approval': () =>
        'Hai aperto tu questo incidente; un altro approvatore deve approvarne i passaggi.',
      'not-requester': () => 'Solo chi ha aperto questo incidente può decidere sui suoi passaggi.',
      'no-approvers': () =>
        "Nessuno è nell'elenco degli approvatori di questa piattaforma (RDPFIX_APPROVERS per Slack, RDPFIX_TEAMS_APPROVERS per Teams), quindi nessun passaggio può essere approvato.",
      wrongConversation: () =>
        'Le decisioni su questo incidente si prendono nel suo thread, sulla piattaforma in cui è stato aperto; non è cambiato nulla.',
      scriptChanged: (step: string) =>
        `Lo script di "${step}" è cambiato da quando la scheda è stata pubblicata; non è stato eseguito nulla. Segue una scheda nuova: controllarla e approvare di nuovo.`,
      secondApprover: () =>
        'Hai già approvato questo passaggio; serve una seconda approvazione, di un approvatore diverso.',
      otherValues: (values: string) =>
        `Non approvato: il primo approvatore ha approvato ${values}, e le due approvazioni devono concordare sui valori eseguiti. Approvare quelli, o interrompere.`,
      alreadyOpenElsewhere: (vm: string) =>
        `La VM ${vm} ha già un incidente aperto, in un'altra conversazione: deve concludersi lì prima che ne inizi uno nuovo.`,
      alreadyOpen: (vm: string, id: string, link: string) =>
        `La VM ${vm} ha già un incidente aperto: ${id}${link}. Continuare lì, o chiuderlo con: cancel ${id}`,
      tooManyOpen: (max: number) =>
        `Hai già ${max} incidenti aperti, il massimo consentito: concluderne o annullarne uno prima.`,
      notCurrent: (step: string) =>
        `"${step}" non è il passaggio in attesa di decisione (è già stato deciso, o la scheda è vecchia).`,
      alreadyApproved: (who: string, at: string) =>
        `Già approvato da ${who} alle ${at}; viene eseguito una sola volta.`,
      closed: (id: string) => `L'incidente ${id} è già chiuso.`,
      notFound: (id: string) => `Non esiste l'incidente ${id}.`,
      invalidParams: (why: string) => `Non approvato: ${why}.`,
      invalidAnswer: (answer: string) => `"${answer}" non è una delle risposte possibili.`,
      notAllowed: () => "Solo chi ha aperto l'incidente o un approvatore può farlo.",
      nothingToUndo: () =>
        'Niente da annullare: nessun passaggio di questo incidente ha ancora modificato la VM.',
      undoWhileRunning: (step: string) =>
        `"${step}" è in esecuzione sulla VM; chiedere di nuovo l'annullamento quando arriva il risultato.`,
      notUndoable: (step: string, done: string[]) =>
        `"${step}" non è una modifica che l'annullamento può ripristinare da sola.${canUndo(done)}`,
      stepChangedNothing: (step: string, done: string[]) =>
        `"${step}" non ha modificato la VM in questo incidente.${canUndo(done)}`,
      noPlaybook: () => 'Playbook inesistente.',
    },
  },
  chat: {
    help: [
      '*rdp-fix* — ripara le VM di Azure che rifiutano Desktop remoto con "Si è verificato un errore interno".',
      "`/rdp-fix <vm> [--rg <gruppo>] [--all] [--offline]` apre un incidente (`--all`: tutti i passaggi dell'articolo; `--offline`: ripara il disco su una VM di ripristino)",
      '`/rdp-fix status` incidenti aperti in questo canale',
      '`/rdp-fix history [vm]` incidenti passati',
      '`/rdp-fix transcript <id>` la trascrizione come file Markdown',
      '`/rdp-fix cancel <id>` interrompe un incidente',
      "`/rdp-fix undo <id> [passaggio]` riporta la VM com'era prima delle modifiche dell'incidente, o annulla la modifica di un passaggio (una scheda da approvare)",
      "`/rdp-fix keep-repair <id>` dopo una riparazione offline: tiene il disco riparato (l'originale resta in Azure e lo si elimina a mano)",
      '`/rdp-fix swap-back <id>` dopo una riparazione offline: rimette il disco del sistema operativo originale (una scheda da approvare)',
    ].join('\n'),
    noRepairDecision: (id: string, answer: string) =>
      `L'incidente ${id} non attende l'ultima decisione della riparazione offline, quindi "${answer}" non cambia nulla.`,
    noneOpen: 'Nessun incidente aperto in questo canale.',
    noHistory: 'Ancora nessun incidente.',
    badButton: 'Quel pulsante non è di rdp-fix o è troppo vecchio; non è stato modificato nulla.',
    noScript: 'Questo passaggio non esegue script.',
    scriptAsFile: (name: string, chars: number) =>
      `${name} è di ${chars} caratteri, più di quanti ne contenga un messaggio: eccolo intero, come file.`,
    scriptTooLong: (name: string, chars: number) =>
      `${name} è di ${chars} caratteri, più di quanti ne contenga un messaggio. Lo script intero è scripts/${name} nella cartella del playbook sul server di rdp-fix, con i frammenti di scripts/lib che include, e nella pagina web dell'incidente.`,
    scriptInThread: 'Lo script è nel thread.',
    transcript: 'Trascrizione',
    failed:
      'rdp-fix non è riuscito a farlo ora (il database o Azure non hanno risposto). Potrebbe non essere stato registrato: controllare con `/rdp-fix status`, poi riprovare.',
    notFound: (id: string) => `Non esiste l'incidente ${id}.`,
    invalidVmName:
      'Non è un nome valido di VM di Azure (1-64 lettere, cifre, trattini bassi, punti o trattini).',
    invalidResourceGroup: 'Non è un nome valido di gruppo di risorse.',
    lookupFailed: (problem: string) => `Impossibile cercare la VM: ${problem}`,
    vmNotFound: (name: string, resourceGroup: string | undefined) =>
      `Nessuna VM chiamata ${name}${resourceGroup ? ` in ${resourceGroup}` : ''} nella sottoscrizione e nei gruppi di risorse serviti da rdp-fix.`,
    vmAmbiguous: (name: string, groups: string) =>
      `${name} esiste in più gruppi di risorse (${groups}): indicare quale con --rg <gruppo>.`,
  },
  card: {
    approve: 'Approva',
    skip: 'Salta',
    abort: 'Interrompi',
    cancel: 'Annulla',
    showScript: 'Mostra script',
    undo: 'Annulla questa modifica',
    confirmTitle: 'Confermi?',
    confirmText: 'Questo passaggio',
    because: 'Perché',
    risk: 'Rischio',
    parameters: 'Parametri',
    confirmAsk: (title: string, risk: string) => `${title}: questo passaggio ${risk}. Approvarlo?`,
    confirmApprove: 'Sì, approva',
    confirmAnswer: (title: string, answer: string) =>
      `${title}: rispondere "${answer}"? Non si può annullare.`,
    confirmYes: 'Sì',
    paramsHint: "Questi valori vengono usati all'approvazione; modificarli prima, se serve.",
  },
  risk: {
    readOnly: 'sola lettura',
    changesAzure: 'modifica risorse di Azure',
    changesConfig: 'modifica la configurazione della VM',
    restartsVm: 'riavvia la VM',
  },
  web: {
    confirmAgain: 'Clicca di nuovo per confermare: {what}',
    thisStep: 'questo passo {risk}',
    willRun: 'Verrà eseguito con',
    scriptOf: 'Script {name} · sha256 {sha}',
    hideScript: 'Nascondi lo script',
    steps: 'Passi',
    review: 'Rivedi la trascrizione',
    reset: 'Ripristina le VM simulate',
    resetDone:
      '{n} VM simulate sono tornate allo stato iniziale dei loro scenari; gli incidenti aperti continuano su di esse.',
    restored: 'Incidenti aperti prima del ricaricamento: {n}.',
    showHere: 'mostra qui',
    noneOpen: 'Nessun incidente aperto nel playground.',
    sent: 'Inviato; in attesa del motore…',
    notDiagnosed: 'mai diagnosticato',
    noneFound: 'nessuna trovata',
    today: 'oggi',
    yesterday: 'ieri',
    folded:
      '{entries} voci: {rows} righe; {messages} messaggi della chat sono raccolti nelle righe delle voci che li hanno inviati (apri "messaggi").',
    messages: 'messaggi',
    field: 'Campo',
    before: 'Prima',
    after: 'Dopo',
    changed: 'cambiato',
    viewScript: 'vedi lo script',
    azureResources: 'Risorse Azure di questo incidente, ora',
    azureResourcesNone: 'Ora nessuna risorsa in Azure ha il tag di questo incidente.',
    azureResourcesUnread: 'Impossibile leggerle da Azure: {error}',
    scriptChanged:
      'Il playbook è cambiato da questo incidente: questo non è lo script eseguito (sha256 {sha}).',
  },
  teams: {
    notTeams: 'rdp-fix risponde solo in Microsoft Teams; non è stato fatto nulla.',
    noUser:
      'rdp-fix non ha potuto stabilire quale utente Microsoft Entra ha inviato questo messaggio; non è stato fatto nulla.',
    otherTenant: 'Questo tenant di Teams non è quello servito da rdp-fix; non è stato fatto nulla.',
  },
};

/** I passaggi che si possono nominare in `undo <incidente> <passaggio>`, in fondo a un rifiuto. */
function canUndo(done: string[]): string {
  return done.length ? ` Modifiche annullabili una per una: ${done.join(', ')}.` : '';
}
