import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';
import { until } from '../helpers/until';
import { FakeSlack, type SlackCall } from '../support/slack/fake-slack-api';
import { buttonClick, SigningSecret, signed, slashCommand } from '../support/slack/slack-requests';
import { cardAction, channelMessage, FakeBotConnector } from '../support/teams/fake-bot-connector';

/**
 * The real server, in local mode, with Slack (Bolt on /slack/events, a fake Web API on
 * loopback) and Teams (the Agents SDK on /api/messages, a fake Bot Connector as serviceUrl),
 * driven over HTTP as the platforms drive it. Slack: alice (U_ALICE) opens, bob (U_BOB) and
 * carol (U_CAROL) approve; Teams: aad-bob approves, and alice's own Teams id is aad-alice.
 */
export interface PolicyRig {
  server: RunningServer;
  slack: FakeSlack;
  connector: FakeBotConnector;
  serviceUrl: string;
  /** A signed slash command by `user` in Slack channel `channel`. */
  slash(text: string, user?: SlackUser, channel?: string): Promise<Response>;
  /** A signed button click by `user` in `channel` with the button's value. */
  click(button: Button, user?: SlackUser, channel?: string): Promise<Response>;
  /** A Teams message @mentioning the bot, from `from`, in the conversation `conversationId`. */
  teamsSay(text: string, from: TeamsUser, conversationId?: string): Promise<Response>;
  /** An Action.Execute invoke from `from` with the card data `data`, in `conversationId`. */
  teamsClick(
    verb: string,
    data: Record<string, unknown>,
    from: TeamsUser,
    conversationId?: string,
  ): Promise<Response>;
  /** The newest Slack card of `stepId` whose buttons are still there. */
  slackCard(stepId: string): Promise<{ call: SlackCall; buttons: Button[] }>;
  /** Ephemeral texts Slack was asked to show `user`. */
  ephemerals(user: string): string[];
  close(): Promise<void>;
}

export type SlackUser = { id: string; name: string };
export type TeamsUser = { aad: string; name: string };
export type Button = { action_id: string; value: string };

export const alice: SlackUser = { id: 'U_ALICE', name: 'alice' };
export const bob: SlackUser = { id: 'U_BOB', name: 'bob' };
export const carol: SlackUser = { id: 'U_CAROL', name: 'carol' };
export const mallory: SlackUser = { id: 'U_MALLORY', name: 'mallory' };
export const teamsAlice: TeamsUser = { aad: 'aad-alice', name: 'Alice' };
export const teamsBob: TeamsUser = { aad: 'aad-bob', name: 'Bob' };
/** A Teams personal chat with the bot (no `;messageid=`). */
export const PersonalChat = 'a:1personal-chat-with-rdp-fix';

export async function startPolicyRig(env: Record<string, string> = {}): Promise<PolicyRig> {
  const slack = new FakeSlack();
  const apiUrl = await slack.start();
  const connector = new FakeBotConnector();
  const serviceUrl = await connector.start();
  const server = await startServer(
    loadConfig({
      ...LocalTestEnv,
      RDPFIX_APPROVERS: 'U_BOB,U_CAROL',
      RDPFIX_TEAMS_APPROVERS: 'aad-bob,aad-alice',
      SLACK_SIGNING_SECRET: SigningSecret,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: apiUrl,
      // Teams without a client id, on purpose, on loopback; replies to the loopback connector.
      RDPFIX_TEAMS_ANONYMOUS: 'true',
      RDPFIX_TEAMS_SERVICE_HOSTS: '127.0.0.1',
      ...env,
    }),
    silentLogger,
  );
  const postSlack = (body: string) =>
    fetch(`${server.url}/slack/events`, { method: 'POST', headers: signed(body), body });
  const postTeams = (activity: unknown) =>
    fetch(`${server.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity),
    });
  const inConversation = <A extends { conversation: object }>(
    activity: A,
    conversationId: string | undefined,
  ) =>
    conversationId
      ? {
          ...activity,
          conversation: {
            ...activity.conversation,
            id: conversationId,
            conversationType: conversationId.startsWith('a:') ? 'personal' : 'channel',
          },
        }
      : activity;
  return {
    server,
    slack,
    connector,
    serviceUrl,
    slash: (text, user = alice, channel = 'C_OPS') => postSlack(slashCommand(text, user, channel)),
    click: (button, user = bob, channel = 'C_OPS') =>
      postSlack(buttonClick(button.action_id, button.value, user, channel)),
    teamsSay: (text, from, conversationId) =>
      postTeams(inConversation(channelMessage(serviceUrl, text, from), conversationId)),
    teamsClick: (verb, data, from, conversationId) =>
      postTeams(inConversation(cardAction(serviceUrl, verb, data, from), conversationId)),
    slackCard: (stepId) =>
      until(`the ${stepId} card`, () => {
        const closed = new Set(slack.of('chat.update').map((c) => c.args.ts));
        for (const call of slack.of('chat.postMessage', (a) => Array.isArray(a.blocks)).reverse()) {
          const actions = (
            call.args.blocks as { type: string; block_id?: string; elements?: Button[] }[]
          ).find((b) => b.type === 'actions' && b.block_id?.startsWith(`rdpfix_${stepId}_`));
          if (actions?.elements && !closed.has(call.answer?.ts)) return { call, buttons: actions.elements };
        }
        return undefined;
      }),
    ephemerals: (user) =>
      slack.of('chat.postEphemeral', (a) => a.user === user).map((c) => String(c.args.text)),
    async close() {
      await server.close();
      await slack.stop();
      await connector.stop();
    },
  };
}

/** The Approve button of a card. */
export function approveButton(card: { buttons: Button[] }): Button {
  const button = card.buttons.find((b) => b.action_id === 'rdpfix_approve');
  if (!button) throw new Error('the card has no Approve button');
  return button;
}
