/**
 * Every sentence rdp-fix says, in English: the reference catalogue. `it.ts` must have the
 * same keys with the same parameters (the compiler checks the types, test/texts checks the
 * keys). Grouped by who says it.
 */
export const en = {
  /** The engine: incident progress, step results, refusals. */
  engine: {
    opened: (vm: string, id: string, who: string) =>
      `Incident ${id} for VM ${vm}, opened by ${who}. Checking the VM…`,
    vmReady: () => 'The VM is running and its agent is Ready.',
    vmAgentDown: (d: string) => `Run Command cannot work: ${d}. Going to the offline repair.`,
    vmCannotAct: (d: string) => `The agent cannot act on this VM: ${d}.`,
    vmStopped: (d: string) => `Nothing on this VM can be checked yet: ${d}. It has to run first.`,
    vmNotRunning: (d: string, group: string, vm: string) =>
      `The agent cannot act on this VM: ${d}. If it is stopped or deallocated, start it (Azure portal: the VM → Start, or "az vm start --resource-group ${group} --name ${vm}"); if Azure is still provisioning or updating it, wait. When it shows Running, ask again.`,
    permissionMissing: (action: string) =>
      `What to do: rdp-fix's Azure identity lacks the permission ${action}. An Azure administrator assigns it the custom role "rdp-fix operator" (deploy/azure/rdp-fix-operator.role.json, which grants every action the agent needs) on the VM's resource group. Once the assignment shows (it can take a few minutes), choose Diagnose again: until then it is refused the same way.`,
    notApplicable: (title: string) => `Skipped "${title}": not needed for what was found and done so far.`,
    noCauses: () => "None of the article's causes was found.",
    causesFound: (n: number) => `Found ${n} of the article's causes:`,
    /** Checks of the diagnosis that could not run: named, never read as healthy or broken. */
    notChecked: (list: string) => `Could not check: ${list}. Nothing is proposed on a guess for these.`,
    outcomeUnknown: () =>
      'The agent restarted while this step was being sent; it cannot tell whether it ran. Check, then approve it again or skip it.',
    approved: (who: string, at: string) => `Approved by ${who} at ${at}`,
    /** Two-person rule: the first of two approvals, on the card it closes. */
    firstApproval: (who: string, at: string) => `Approved by ${who} at ${at}, waiting for a second approver.`,
    /** Two-person rule: on the fresh card that waits for the second approval. */
    secondApprovalNeeded: (who: string) =>
      `Approved by ${who}, waiting for a second approver: this step needs two different approvers.`,
    /** Two-person rule: the values the first approver approved, which the second approves too. */
    approvedValues: (values: string) => `Approved with ${values}; the second approval runs these values.`,
    /** The card closed because the step's script changed since it was posted. */
    scriptChanged: () => 'The script of this step changed since this card was posted; nothing ran.',
    /** On the fresh card posted in its place. */
    scriptChangedNotice: () => 'The script of this step changed: this card shows the current one.',
    skipped: (who: string, at: string) => `Skipped by ${who} at ${at}`,
    answered: (who: string, answer: string) => `${who} answered: ${answer}`,
    expired: () => 'This approval expired; the incident is closed. Start a new one to continue.',
    running: (title: string, seconds: number) => `Running "${title}"… ${seconds} s`,
    retrying: (reason: string, seconds: number) => `Azure says ${reason}; trying again in ${seconds} s.`,
    stepOk: (title: string) => `"${title}" succeeded.`,
    stepFailed: (title: string, why: string) => `"${title}" failed: ${why}`,
    stepTimedOut: (title: string, limit: string, partial: string) =>
      `"${title}" stopped after ${limit}: it ran past its time limit and Azure ended it; the VM's Run Command slot is free again. ${partial ? `Output so far: ${partial}` : 'It printed nothing before it stopped.'}`,
    /** "5 minutes", "90 seconds": a step's time limit said in words. */
    duration: (seconds: number) =>
      seconds % 60 === 0
        ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}`
        : `${seconds} second${seconds === 1 ? '' : 's'}`,
    stepUnreadable: (title: string, why: string, log: string) =>
      `The output of "${title}" is unreadable (${why}); no cause is assumed. Full log on the VM: ${log}`,
    ended: {
      resolved: () => 'Resolved.',
      unresolved: () => 'Ended without a resolution.',
      aborted: () => 'Aborted.',
      undoAsked: (who: string) => `${who} asked to undo this incident's changes: the undo card follows.`,
      undoStepAsked: (who: string, step: string) =>
        `${who} asked to undo the change of "${step}": the undo card follows.`,
      expired: () => 'Closed: an approval expired.',
      failed: () => 'The agent could not act on this VM.',
    },
    refused: {
      'not-approver': () => 'You are not on the approver list for rdp-fix steps.',
      'self-approval': () => 'You opened this incident; another approver must approve its steps.',
      'not-requester': () => 'Only the person who opened this incident can decide on its steps.',
      'no-approvers': () =>
        'Nobody is on the approver list of this platform (RDPFIX_APPROVERS for Slack, RDPFIX_TEAMS_APPROVERS for Teams), so no step can be approved.',
      wrongConversation: () =>
        'Decisions on this incident are taken in its own thread, on the platform where it was opened; nothing was changed.',
      scriptChanged: (step: string) =>
        `The script of "${step}" changed since its card was posted; nothing ran. A fresh card follows: check it and approve again.`,
      secondApprover: () =>
        'You already approved this step; it needs a second approval, by a different approver.',
      otherValues: (values: string) =>
        `Not approved: the first approver approved ${values}, and two approvals must agree on the values that run. Approve those, or abort.`,
      alreadyOpenElsewhere: (vm: string) =>
        `VM ${vm} already has an open incident, in another conversation: it has to end there before a new one starts.`,
      alreadyOpen: (vm: string, id: string, link: string) =>
        `VM ${vm} already has an open incident: ${id}${link}. Continue it there, or end it with: cancel ${id}`,
      tooManyOpen: (max: number) =>
        `You already have ${max} open incidents, the most allowed: finish or cancel one first.`,
      notCurrent: (step: string) =>
        `"${step}" is not the step waiting for a decision (it was already decided, or the card is old).`,
      alreadyApproved: (who: string, at: string) => `Already approved by ${who} at ${at}; it runs once.`,
      closed: (id: string) => `Incident ${id} is already closed.`,
      notFound: (id: string) => `There is no incident ${id}.`,
      invalidParams: (why: string) => `Not approved: ${why}.`,
      invalidAnswer: (answer: string) => `"${answer}" is not one of this question's answers.`,
      notAllowed: () => 'Only the requester or an approver can do that.',
      nothingToUndo: () => 'Nothing to undo: no step of this incident has changed the VM yet.',
      undoWhileRunning: (step: string) =>
        `"${step}" is running on the VM; ask for the undo again once its result is in.`,
      notUndoable: (step: string, done: string[]) =>
        `"${step}" is not a change the undo can take back on its own.${canUndo(done)}`,
      stepChangedNothing: (step: string, done: string[]) =>
        `"${step}" has not changed the VM in this incident.${canUndo(done)}`,
      noPlaybook: () => 'No such playbook.',
    },
  },
  /** The conversation: help, listings, and why an incident could not be opened (Slack mrkdwn). */
  chat: {
    help: [
      '*rdp-fix* — fixes Azure VMs that refuse Remote Desktop with "An internal error has occurred".',
      '`/rdp-fix <vm> [--rg <group>] [--all] [--offline]` open an incident (`--all`: walk every step of the article; `--offline`: repair the disk on a rescue VM)',
      '`/rdp-fix status` open incidents in this channel',
      '`/rdp-fix history [vm]` past incidents',
      '`/rdp-fix transcript <id>` the transcript as a Markdown file',
      '`/rdp-fix cancel <id>` abort an incident',
      "`/rdp-fix undo <id> [step]` put the VM back as it was before the incident's changes, or one step's change (a card to approve)",
      '`/rdp-fix keep-repair <id>` after an offline repair: keep the repaired disk (the original stays in Azure for you to delete)',
      '`/rdp-fix swap-back <id>` after an offline repair: put the original OS disk back (a card to approve)',
    ].join('\n'),
    noRepairDecision: (id: string, answer: string) =>
      `Incident ${id} is not waiting for the offline repair's last decision, so "${answer}" changes nothing.`,
    noneOpen: 'No open incident in this channel.',
    noHistory: 'No incident yet.',
    badButton: 'That button is not one rdp-fix made, or it is too old; nothing was changed.',
    noScript: 'This step runs no script.',
    scriptAsFile: (name: string, chars: number) =>
      `${name} is ${chars} characters, longer than a message holds: here it is whole, as a file.`,
    scriptTooLong: (name: string, chars: number) =>
      `${name} is ${chars} characters, longer than a message holds. The whole script is scripts/${name} in the playbook's folder on the rdp-fix server, with the scripts/lib fragments it includes, and on the incident's web page.`,
    scriptInThread: 'The script is in the thread.',
    transcript: 'Transcript',
    failed:
      'rdp-fix could not do that just now (its database or Azure did not answer). It may not have been recorded: check with `/rdp-fix status`, then try again.',
    notFound: (id: string) => `There is no incident ${id}.`,
    invalidVmName: 'That is not a valid Azure VM name (1-64 letters, digits, underscores, dots or hyphens).',
    invalidResourceGroup: 'That is not a valid resource group name.',
    lookupFailed: (problem: string) => `Could not look up the VM: ${problem}`,
    vmNotFound: (name: string, resourceGroup: string | undefined) =>
      `No VM named ${name}${resourceGroup ? ` in ${resourceGroup}` : ''} in the subscription and resource groups rdp-fix serves.`,
    vmAmbiguous: (name: string, groups: string) =>
      `${name} exists in several resource groups (${groups}): say which with --rg <group>.`,
  },
  /** The words on step cards, the same in every channel. */
  card: {
    approve: 'Approve',
    skip: 'Skip',
    abort: 'Abort',
    cancel: 'Cancel',
    showScript: 'Show script',
    undo: 'Undo this change',
    confirmTitle: 'Are you sure?',
    confirmText: 'This step',
    because: 'Because',
    risk: 'Risk',
    parameters: 'Parameters',
    /** The confirmation asked before a restart, a port change or another step marked `confirm`. */
    confirmAsk: (title: string, risk: string) => `${title}: this step ${risk}. Approve it?`,
    confirmApprove: 'Yes, approve',
    confirmAnswer: (title: string, answer: string) =>
      `${title}: answer "${answer}"? It cannot be taken back.`,
    confirmYes: 'Yes',
    /** Under the parameter fields: what runs unless a person changes it. */
    paramsHint: 'These values run when you approve; change them first if needed.',
  },
  /** What a step's risk means, in words. */
  risk: {
    readOnly: 'read-only',
    changesAzure: 'changes Azure resources',
    changesConfig: "changes the VM's configuration",
    restartsVm: 'restarts the VM',
  },
  /**
   * The web pages and the playground. Plain strings with `{name}` slots: the playground's
   * script fills them in the browser (it reads this group from the page, in the page's language).
   */
  web: {
    confirmAgain: 'Click again to confirm: {what}',
    thisStep: 'this step {risk}',
    willRun: 'Will run with',
    scriptOf: 'Script {name} · sha256 {sha}',
    hideScript: 'Hide script',
    steps: 'Steps',
    review: 'Review the transcript',
    reset: 'Reset the simulated VMs',
    resetDone: '{n} simulated VMs are back as their scenarios start; open incidents go on against them.',
    restored: 'Open incidents from before the reload: {n}.',
    showHere: 'show here',
    noneOpen: 'No open incident in the playground.',
    sent: 'Sent; waiting for the engine…',
    notDiagnosed: 'never diagnosed',
    noneFound: 'none found',
    today: 'today',
    yesterday: 'yesterday',
    folded:
      '{entries} entries: {rows} rows; {messages} chat messages are folded into the rows of the entries that sent them (open "messages").',
    messages: 'messages',
    field: 'Field',
    before: 'Before',
    after: 'After',
    changed: 'changed',
    viewScript: 'view script',
    azureResources: 'Azure resources of this incident, now',
    azureResourcesNone: "Nothing in Azure carries this incident's tag now.",
    azureResourcesUnread: 'Could not read them from Azure: {error}',
    scriptChanged:
      'The playbook has changed since this incident: this is not the script that ran (sha256 {sha}).',
  },
  /** Why the Teams channel does not act on an activity (said to the sender). */
  teams: {
    notTeams: 'rdp-fix answers only in Microsoft Teams; nothing was done.',
    noUser: 'rdp-fix could not tell which Microsoft Entra user sent this; nothing was done.',
    otherTenant: 'This Teams tenant is not the one rdp-fix serves; nothing was done.',
  },
};

export type Catalogue = typeof en;

/** The steps one can name in `undo <incident> <step>`, as the end of a refusal. */
function canUndo(done: string[]): string {
  return done.length ? ` Changes that can be undone one by one: ${done.join(', ')}.` : '';
}
