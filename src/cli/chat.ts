import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Config } from '../config';
import { silentLogger } from '../core/logger';
import { parseCommand } from '../core/parse-command';
import type { Locale, User } from '../core/types';
import type { Delivery, OutMessage } from '../engine/messages';
import { openIncident } from '../engine/open-incident';
import { contextOf, stateText } from '../engine/transition-incident';
import { createRuntime } from '../runtime';

export interface ChatIo {
  input: Readable;
  out: (text: string) => void;
}

/**
 * `rdp-fix chat <vm>`: one whole incident in the terminal, against whatever Azure is
 * configured (the built-in simulator by default). The person at the terminal is the
 * requester; the configured approval policy applies as in chat.
 */
export async function runChat(args: string[], config: Config, io: ChatIo): Promise<number> {
  const parsed = parseCommand(args.join(' '));
  if (parsed.kind !== 'start') {
    io.out(
      `${parsed.kind === 'invalid' ? `${parsed.problem}\n` : ''}usage: rdp-fix chat <vm> [--rg <group>] [--all]\n`,
    );
    return 2;
  }
  const locale: Locale = config.locale;
  const me: User = { id: `local:${userInfo().username}`, name: userInfo().username };
  const runtime = await createRuntime(config, (d) => io.out(render(d, locale)), silentLogger);
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
    io.out(prompt);
    if (pending.length) return Promise.resolve(pending.shift());
    if (ended) return Promise.resolve(undefined);
    return new Promise((resolve) => waiters.push(resolve));
  };

  try {
    if (runtime.simulator) io.out('Local mode: the Azure SDK talks to the built-in simulator.\n');
    const opened = await openIncident(runtime.engine, runtime.vm, {
      vmName: parsed.vmName,
      ...(parsed.resourceGroup ? { resourceGroup: parsed.resourceGroup } : {}),
      requester: me,
      channel: { platform: 'cli', channel: 'terminal' },
      locale,
      walkAll: parsed.walkAll,
    });
    if (!opened.ok) {
      io.out(`${opened.message[locale]}\n`);
      return 1;
    }
    const id = opened.incidentId;
    for (;;) {
      await runtime.engine.idle();
      const record = (await runtime.store.get(id))!;
      if (record.status === 'closed') return record.outcome === 'resolved' ? 0 : 3;
      const context = contextOf(record.snapshot);
      const current = context.current;
      if (!current || !stateText((record.snapshot as { value: unknown }).value).endsWith('.awaiting')) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const playbook = runtime.engine.playbook(record.playbookId);
      const step = playbook.stepById.get(current.stepId)!;
      const answer = (
        await ask(
          'answers' in step
            ? '> answer number, [b] abort: '
            : '> [a]pprove (a Name=value …), [s]kip, a[b]ort, [v]iew script: ',
        )
      )?.trim();
      if (answer === undefined) {
        io.out(
          '\nInput closed: the incident stays open; continue it in chat or with another `rdp-fix chat`.\n',
        );
        return 4;
      }
      const base = { incidentId: id, stepId: current.stepId, attempt: current.attempt, user: me };
      let result: Awaited<ReturnType<typeof runtime.engine.handle>> | undefined;
      if (answer === 'b')
        result = await runtime.engine.handle({
          type: 'abort',
          incidentId: id,
          user: me,
          reason: 'aborted at the terminal',
        });
      else if ('answers' in step) {
        const chosen = step.answers[Number(answer) - 1];
        if (!chosen) {
          io.out(`Choose 1-${step.answers.length}.\n`);
          continue;
        }
        result = await runtime.engine.handle({ type: 'answer', ...base, answer: chosen.id });
      } else if (answer === 'v') {
        io.out(
          `${'script' in step && step.script ? (playbook.scripts[step.script]?.text ?? '') : '(an Azure action, no script)'}\n`,
        );
        continue;
      } else if (answer === 's') result = await runtime.engine.handle({ type: 'skip', ...base });
      else if (answer === 'a' || answer.startsWith('a ')) {
        const params = Object.fromEntries(
          answer
            .slice(1)
            .trim()
            .split(/\s+/)
            .filter(Boolean)
            .map((pair) => [pair.split('=')[0] ?? '', pair.slice(pair.indexOf('=') + 1)]),
        );
        result = await runtime.engine.handle({ type: 'approve', ...base, params });
      } else {
        io.out('Type a, s, b or v.\n');
        continue;
      }
      if (result && !result.ok) io.out(`${result.message[locale]}\n`);
    }
  } finally {
    lines.close();
    await runtime.close();
  }
}

/** Renders one engine message for a terminal. */
export function render(d: Delivery, locale: Locale): string {
  const m: OutMessage = d.message;
  switch (m.kind) {
    case 'stepCard': {
      const lines = [
        '',
        `== ${m.title[locale]}${m.risk ? `  [${m.risk}]` : ''}  (${m.section})`,
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
      return m.done ? `${m.text[locale]}\n` : `  … ${m.text[locale]}\n`;
    case 'refusal':
    case 'notice':
    case 'opened':
    case 'cardClosed':
      return `${m.text[locale]}\n`;
  }
}
