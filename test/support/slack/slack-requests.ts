import { createHmac } from 'node:crypto';

/** Slack's request formats, signed, for tests and benchmarks that play Slack. */
export const SigningSecret = 'test-signing-secret-8f2c';

/** Signs a body as Slack does: v0=hex(HMAC_SHA256(secret, "v0:" + timestamp + ":" + body)). */
export function signed(body: string, timestamp = Math.floor(Date.now() / 1000), secret = SigningSecret) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signature,
  };
}

/** A slash command body exactly as Slack posts it. */
export function slashCommand(...args: Parameters<typeof slashCommandFields>): string {
  return new URLSearchParams(slashCommandFields(...args)).toString();
}

/**
 * A slash command's fields: form-encoded over HTTP, the same fields as a JSON object (all
 * strings) in a Socket Mode `slash_commands` envelope (a captured one is in slackapi/node-slack-sdk
 * packages/socket-mode/src/SocketModeClient.test.ts).
 */
export function slashCommandFields(
  text: string,
  user = { id: 'U_ALICE', name: 'alice' },
  channel = 'C_OPS',
): Record<string, string> {
  return {
    token: 'deprecated-verification-token',
    team_id: 'T1',
    team_domain: 'contoso',
    channel_id: channel,
    channel_name: 'ops',
    user_id: user.id,
    user_name: user.name,
    command: '/rdp-fix',
    text,
    api_app_id: 'A1',
    is_enterprise_install: 'false',
    response_url: 'https://hooks.slack.com/commands/T1/1/abc',
    trigger_id: '1.2.3',
  };
}

/** A block_actions click body: one form field `payload` holding the JSON. */
export function buttonClick(...args: Parameters<typeof blockActionsPayload>): string {
  return new URLSearchParams({ payload: JSON.stringify(blockActionsPayload(...args)) }).toString();
}

/**
 * A `block_actions` payload (one button click; Slack's block_actions payload reference): JSON
 * in the form field `payload` over HTTP, the envelope's `payload` object as it is in Socket
 * Mode (bolt-js SocketModeReceiver hands the envelope's `payload` to `processEvent` as the body).
 */
export function blockActionsPayload(
  actionId: string,
  value: string,
  user = { id: 'U_BOB', name: 'bob' },
  channel = 'C_OPS',
  messageTs = '1.1',
): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: user.id, username: user.name, name: user.name, team_id: 'T1' },
    api_app_id: 'A1',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: messageTs, channel_id: channel, is_ephemeral: false },
    trigger_id: '1.2.3',
    team: { id: 'T1', domain: 'contoso' },
    channel: { id: channel, name: 'ops' },
    message: { ts: messageTs, text: 'card' },
    response_url: 'https://hooks.slack.com/actions/T1/1/abc',
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'b1',
        value,
        text: { type: 'plain_text', text: 'x' },
        action_ts: '1.2',
      },
    ],
  };
}

/**
 * A `block_actions` click carrying the message's input fields as they are now, in
 * `state.values` (block_id → action_id → the element's state), as Slack sends it with any
 * button press in a message that has inputs: `selected_option` for a `static_select`,
 * `value` for a `plain_text_input`.
 */
export function buttonClickWithState(
  actionId: string,
  value: string,
  state: Record<string, Record<string, Record<string, unknown>>>,
  user = { id: 'U_BOB', name: 'bob' },
): string {
  const payload = { ...blockActionsPayload(actionId, value, user), state: { values: state } };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
