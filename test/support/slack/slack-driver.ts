import type { FakeSlack, SlackCall } from './fake-slack-api';
import { buttonClick, signed, slashCommand } from './slack-requests';

interface Button {
  action_id: string;
  value: string;
}

/** What the fake Slack saw of one incident's thread. */
export interface SlackThread {
  vmName: string;
  rootTs: string;
  /** Cards with buttons, in order, and whether a later chat.update replaced them. */
  cards: { ts: string; buttons: Button[]; closed: boolean }[];
  /** Every text posted or updated in the thread (the root message's updates included). */
  texts: string[];
  summary: string | undefined;
  /** How many summaries were posted (one, unless a message went out twice). */
  summaries: number;
}

/**
 * Plays the people in Slack for tests and benchmarks: reads what rdp-fix posted to the
 * fake Web API (indexed as it arrives, so that hundreds of threads stay cheap) and clicks
 * the buttons of each thread's open card through signed requests to any replica.
 */
export class SlackDriver {
  private cursor = 0;
  private readonly threads = new Map<string, SlackThread>();
  private readonly byTs = new Map<string, SlackThread>();
  private readonly cardTs = new Map<string, SlackThread>();
  private readonly waiting = new Set<string>();

  /** `slack`: the fake itself, or its calls as forwarded from another process (benchmarks). */
  constructor(private readonly slack: Pick<FakeSlack, 'calls'>) {}

  /** The thread of the incident opened for this VM, once its root message was posted. */
  thread(vmName: string): SlackThread | undefined {
    this.index();
    return this.threads.get(vmName);
  }

  /** Sends `/rdp-fix <vmName>` to a replica; the HTTP status and how long the ack took. */
  async start(baseUrl: string, vmName: string): Promise<{ status: number; ms: number }> {
    this.waiting.add(vmName);
    return post(baseUrl, slashCommand(vmName));
  }

  /** Clicks the first button of the open card (approve, or the first answer). */
  async clickOpenCard(
    baseUrl: string,
    vmName: string,
    user = { id: 'U_BOB', name: 'bob' },
  ): Promise<{ status: number; ms: number } | undefined> {
    const card = this.openCard(vmName);
    if (!card) return undefined;
    const button =
      card.buttons.find((b) => b.action_id === 'rdpfix_approve') ??
      card.buttons.find((b) => b.action_id.startsWith('rdpfix_answer'));
    if (!button) return undefined;
    return post(baseUrl, buttonClick(button.action_id, button.value, user));
  }

  openCard(vmName: string): { ts: string; buttons: Button[] } | undefined {
    const thread = this.thread(vmName);
    return thread?.cards.filter((c) => !c.closed).at(-1);
  }

  private index(): void {
    const calls = this.slack.calls;
    for (; this.cursor < calls.length; this.cursor++) {
      const call = calls[this.cursor] as SlackCall;
      if (call.method === 'chat.postMessage') this.posted(call);
      else if (call.method === 'chat.update') {
        const ts = String(call.args.ts);
        const card = this.cardTs.get(ts);
        if (card) for (const c of card.cards) if (c.ts === ts) c.closed = true;
        this.byTs.get(ts)?.texts.push(String(call.args.text ?? ''));
        card?.texts.push(String(call.args.text ?? ''));
      }
    }
  }

  private posted(call: SlackCall): void {
    const text = String(call.args.text ?? '');
    const threadTs = call.args.thread_ts as string | undefined;
    const ts = String(call.answer?.ts ?? '');
    if (!threadTs) {
      const vmName = [...this.waiting].find((name) => mentions(text, name));
      if (!vmName) return;
      this.waiting.delete(vmName);
      const thread: SlackThread = {
        vmName,
        rootTs: ts,
        cards: [],
        texts: [text],
        summary: undefined,
        summaries: 0,
      };
      this.threads.set(vmName, thread);
      this.byTs.set(ts, thread);
      return;
    }
    const thread = this.byTs.get(threadTs);
    if (!thread) return;
    thread.texts.push(text);
    if (call.args.reply_broadcast === 'true' || call.args.reply_broadcast === true) {
      thread.summary = text;
      thread.summaries++;
    }
    const blocks = call.args.blocks as { type: string; elements?: Button[] }[] | undefined;
    const buttons = blocks?.find((b) => b.type === 'actions')?.elements;
    if (buttons?.length) {
      thread.cards.push({ ts, buttons, closed: false });
      this.cardTs.set(ts, thread);
    } else this.byTs.set(ts, thread);
  }
}

/** The name as a whole word: `sim-x-1` is not mentioned by `sim-x-10`. */
function mentions(text: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w-])${escaped}([^\\w-]|$)`).test(text);
}

/** Posts a signed body to a server's `/slack/events`; the HTTP status and how long the answer took. */
export async function post(baseUrl: string, body: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}/slack/events`, { method: 'POST', headers: signed(body), body });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}
