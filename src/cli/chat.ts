import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { RiskLabels } from '../conversation/card-labels';
import type { Conversation } from '../conversation/conversation';
import type { WaitingStep } from '../conversation/find-waiting-step';
import type { Asker, Click } from '../conversation/inputs';
import type { Reply } from '../conversation/replies';
import { neutraliseBidi } from '../core/bidi';
import { parseCommand } from '../core/parse-command';
import type { Locale, User } from '../core/types';
import type { Delivery, MessageSink, OutMessage } from '../engine/messages';

export interface ChatIo {
  input: Readable;
  out: (text: string) => void;
}

/** What the terminal talks to: the conversation over a runtime made for this one session. */
export interface ChatSession {
  conversation: Conversation;
  /** Resolves once the engine has no command, step or message in flight. */
  idle(): Promise<void>;
  /** The built-in simulator stands in for Azure. */
  localMode: boolean;
  close(): Promise<void>;
}

/** Makes the session whose engine messages go to `sink` (the composition root's part). */
export type OpenChatSession = (sink: MessageSink) => Promise<ChatSession>;

/**
 * `rdp-fix chat <vm>`: one whole incident in the terminal, against whatever Azure is
 * configured (the built-in simulator by default). The person at the terminal is the
 * requester; the configured approval policy applies as in chat.
 */
export async function runChat(
  args: string[],
  locale: Locale,
  io: ChatIo,
  openSession: OpenChatSession,
): Promise<number> {
  // Everything said goes through terminalText: text from a VM or Azure is data here too.
  const out = (text: string) => io.out(terminalText(text));
  const parsed = parseCommand(args.join(' '));
  if (parsed.kind !== 'start') {
    out(
      `${parsed.kind === 'invalid' ? `${parsed.problem}\n` : ''}usage: rdp-fix chat <vm> [--rg <group>] [--all] [--offline]\n`,
    );
    return 2;
  }
  const me: User = { id: `local:${userInfo().username}`, name: userInfo().username };
  const who: Asker = { user: me, locale };
  const session = await openSession((d) => out(render(d, locale)));
  const { conversation } = session;
  const lines = createInterface({ input: io.input, terminal: false });
  const pending: string[] = [];
  const waiters: ((line: string | undefined) => void)[] = [];
  let ended = false;
  lines.on('line', (line) => (waiters.length ? waiters.shift()!(line) : pending.push(line)));
  lines.on('close', () => {
    ended = true;
    for (const w of waiters.splice(0)) w(undefined);
  });
  const ask = (prompt: string): Promise<string | undefined> => {
    out(prompt);
    if (pending.length) return Promise.resolve(pending.shift());
    if (ended) return Promise.resolve(undefined);
    return new Promise((resolve) => waiters.push(resolve));
  };
  const say = (reply: Reply) => {
    const text = replyText(reply, locale);
    if (text !== undefined) out(`${text}\n`);
  };

  try {
    if (session.localMode) out('Local mode: the Azure SDK talks to the built-in simulator.\n');
    const opened = await conversation.handleChat(parsed, who, Terminal);
    if (opened.kind !== 'opened') {
      say(opened);
      return 1;
    }
    const id = opened.incidentId;
    for (;;) {
      await session.idle();
      const step = await conversation.findWaitingStep(id);
      if (step.state === 'closed') return step.outcome === 'resolved' ? 0 : 3;
      if (step.state === 'busy') {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const answer = (
        await ask(
          step.answers
            ? '> answer number, [b] abort, [u]ndo [step]: '
            : '> [a]pprove (a Name=value …), [s]kip, a[b]ort, [v]iew script, [u]ndo [step]: ',
        )
      )?.trim();
      if (answer === undefined) {
        out('\nInput closed: the incident stays open; continue it in chat or with another `rdp-fix chat`.\n');
        return 4;
      }
      const click = decodeAnswer(answer, id, step);
      if (typeof click === 'string') out(click);
      else if (
        asksFirst(click, step) &&
        (await ask('> This cannot be taken back. Type yes to go ahead: '))?.trim() !== 'yes'
      )
        out('Not done.\n');
      else say(await conversation.handleClick(click, who, Terminal));
    }
  } finally {
    lines.close();
    await session.close();
  }
}

/** Whether a decision asks "are you sure?" first, as the cards do (restarts, the port change, the offline path). */
function asksFirst(click: Click, step: Extract<WaitingStep, { state: 'awaiting' }>): boolean {
  if (click.verb === 'approve') return step.confirm.approve;
  return click.verb === 'answer' && step.confirm.answers.includes(click.answer ?? '');
}

/** The terminal's one conversation: its incidents are decided here and nowhere else. */
const Terminal = { platform: 'cli', channel: 'terminal' } as const;

/** A line typed at a waiting step, as a click on its card; or what to type instead. */
export function decodeAnswer(
  answer: string,
  incidentId: string,
  step: Extract<WaitingStep, { state: 'awaiting' }>,
): Click | string {
  const at = { incidentId, stepId: step.stepId, attempt: step.attempt };
  if (answer === 'b') return { verb: 'abort', ...at, reason: 'aborted at the terminal' };
  // `u` undoes every change of the incident, `u <step>` one step's (as `undo <id> [step]` in chat).
  if (answer === 'u' || answer.startsWith('u '))
    return { verb: 'undo', ...at, stepId: answer.slice(1).trim() };
  if (step.answers) {
    const chosen = step.answers[Number(answer) - 1];
    return chosen ? { verb: 'answer', ...at, answer: chosen } : `Choose 1-${step.answers.length}.\n`;
  }
  if (answer === 'v') return { verb: 'showScript', ...at };
  if (answer === 's') return { verb: 'skip', ...at };
  if (answer === 'a' || answer.startsWith('a ')) {
    // `a Port=3391 Name=x`: parameter values given with the approval.
    const pairs = answer.slice(1).trim().split(/\s+/).filter(Boolean);
    // A word without `=` is no value: said, rather than sent as Name=Name.
    if (pairs.some((pair) => pair.indexOf('=') < 1))
      return 'Write each value as Name=value, e.g. a Port=3391.\n';
    const params = Object.fromEntries(
      pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    );
    // Bound to the script the terminal would show (`v`) now.
    return {
      verb: 'approve',
      ...at,
      params,
      ...(step.scriptSha256 ? { scriptSha256: step.scriptSha256 } : {}),
    };
  }
  return 'Type a, s, b, v or u.\n';
}

/** A conversation reply as terminal text; undefined when the engine's messages say it all. */
function replyText(reply: Reply, locale: Locale): string | undefined {
  switch (reply.kind) {
    case 'refusal':
    case 'text':
      return reply.text[locale];
    case 'script':
      return reply.text;
    default:
      return undefined;
  }
}

/**
 * Text as data for a terminal: control characters other than newline and tab (C0, DEL, C1)
 * become U+FFFD, so that output from a VM cannot move the cursor, rewrite lines, set the
 * title or print a hidden OSC 8 hyperlink (`ESC ] 8 ;; url ESC \`, ECMA-48 / the OSC 8
 * convention of terminal emulators); bidi overrides likewise (src/core/bidi.ts).
 */
export function terminalText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return neutraliseBidi(text).replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, '\uFFFD');
}

/** Renders one engine message for a terminal. */
export function render(d: Delivery, locale: Locale): string {
  const m: OutMessage = d.message;
  switch (m.kind) {
    case 'stepCard': {
      const lines = [
        '',
        `== ${m.title[locale]}${m.risk ? `  [${RiskLabels[m.risk][locale]}]` : ''}  (${m.section})`,
        m.explain[locale],
        ...m.reasons.map((r) => `  because: ${r[locale]}`),
        ...(m.warning ? [`  ! ${m.warning[locale]}`] : []),
        ...(m.notice ? [`  ! ${m.notice[locale]}`] : []),
        ...m.params.map(
          (p) => `  ${p.name} = ${p.value ?? '(required)'}${p.values ? `  (${p.values.join(' | ')})` : ''}`,
        ),
        ...(m.script && m.stepKind === 'manual' ? [`  script: ${m.script} -DriveLetter <letter>`] : []),
        ...m.answers.map((a, i) => `  ${i + 1}. ${a.label[locale]}`),
      ];
      return `${lines.join('\n')}\n`;
    }
    case 'causes':
      return `${m.text[locale]}\n${m.causes.map((c) => `  - ${c.title[locale]}: ${c.reason[locale]}`).join('\n')}\n`;
    case 'summary':
      return `\n${m.text[locale]}${m.reason ? ` (${m.reason})` : ''}\n${m.steps.map((s) => `  ${s.stepId}: ${s.outcome}${s.approvedBy ? ` (approved by ${s.approvedBy})` : ''}`).join('\n')}\n`;
    case 'progress':
      if (!m.done) return `  … ${m.text[locale]}\n`;
      return `${m.text[locale]}\n${m.undo ? `  (type u ${m.stepId} at the next prompt to undo this change)\n` : ''}`;
    case 'refusal':
    case 'notice':
    case 'opened':
    case 'cardClosed':
      return `${m.text[locale]}\n`;
  }
}
