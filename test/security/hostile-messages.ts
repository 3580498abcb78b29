import type { Localized } from '../../src/core/types';
import { cardKey, type OutMessage, posted } from '../../src/engine/messages';
import type { RunningServer } from '../../src/server';

/**
 * Text an attacker controls — a process name on the VM, a display name, an Azure message —
 * written to become live markup somewhere: a Markdown link, a Teams mention, a Slack
 * broadcast or link, mrkdwn emphasis, a script tag, an entity that must stay as typed, a
 * bidi override that reverses what follows, emoji (which must survive), and 10,000 characters.
 */
export const Hostile = {
  markdownLink: '[Re-authenticate](https://evil.example/sso)',
  teamsMention: '<at>General</at>',
  slackBroadcast: '<!channel>',
  slackLink: '<https://evil.example|click>',
  marks: '*bold* _it_ ~s~ `c`',
  script: '<script>alert(1)</script>',
  img: '<img src=x onerror="window.__xss=1">',
  entity: '&amp;',
  here: '@here',
  emoji: '🔥👩‍💻',
  rtl: 'invoice\u202Eexe.txt',
} as const;

/** All of them in one string, as one field would carry them. */
export const HostileText = Object.values(Hostile).join(' ');
export const LongText = `${'A'.repeat(9_990)}<!channel>`;

const L = (text: string): Localized => ({ en: text, it: text });

/**
 * One message of every kind the engine sends, each field a person or a VM could fill made
 * hostile: opened, notice, causes, a step card (reasons, parameters, warning, notice), its
 * closing, progress, a refusal and the summary. `user` is who gets the refusal.
 */
export function everyMessageKind(incidentId: string, user: string): OutMessage[] {
  const h = L(HostileText);
  const key = cardKey(incidentId, 'hostile-step', 1);
  return [
    { kind: 'notice', text: h },
    { kind: 'notice', text: L(LongText) },
    {
      kind: 'causes',
      text: h,
      causes: [{ id: 'c1', section: HostileText, title: h, reason: h }],
    },
    {
      kind: 'stepCard',
      key,
      stepId: 'hostile-step',
      attempt: 1,
      stepKind: 'runCommand',
      section: HostileText,
      title: L('Stop the program holding the RDP port'),
      explain: h,
      warning: h,
      notice: h,
      risk: 'changesConfig',
      confirm: true,
      params: [
        {
          name: 'ServiceName',
          label: h,
          type: 'enum',
          value: HostileText,
          values: [HostileText, 'ok'],
        },
      ],
      reasons: [h, L(LongText)],
      actions: ['approve', 'skip', 'abort', 'showScript'],
      answers: [],
    },
    { kind: 'cardClosed', key, stepId: 'hostile-step', attempt: 1, text: h },
    {
      kind: 'progress',
      key: `${incidentId}:progress:hostile`,
      stepId: 'hostile-step',
      text: h,
      elapsedMs: 1000,
      done: true,
    },
    { kind: 'refusal', to: { id: user, name: HostileText }, text: h },
    {
      kind: 'summary',
      outcome: 'aborted',
      text: h,
      reason: HostileText,
      causes: [],
      steps: [{ stepId: 'hostile-step', title: h, outcome: HostileText, approvedBy: HostileText }],
    },
  ];
}

/**
 * Queues the messages for the incident as the engine does (transcript entries and outbox rows
 * in one write): the real outbox delivers them through the real channel to the wire.
 */
export async function queueMessages(server: RunningServer, incidentId: string, messages: OutMessage[]) {
  const story = posted(messages);
  await server.runtime.store.append(incidentId, story.entries, new Date().toISOString(), story.outbox);
}

/** Makes the simulated VM's RDP port owned by a program with a hostile name. */
export function hostilePortOwner(server: RunningServer, vm: string): void {
  const windows = server.runtime.simulator?.windowsVm('rg-sim', vm);
  if (!windows) throw new Error(`no simulated VM ${vm}`);
  windows.state.portOwner = { process: HostileText, pid: 666, services: [HostileText], acceptStop: true };
}
