/** How far a request's timestamp may be from this server's clock, either way (Slack's own rule). */
export const SlackTimestampSkewSeconds = 5 * 60;

/**
 * Whether `X-Slack-Request-Timestamp` is more than five minutes ahead of the clock. Slack
 * asks apps to refuse requests more than five minutes away from the local time, to stop
 * replays (api.slack.com/authentication/verifying-requests-from-slack), but Bolt 5.1 checks
 * the past only: `verifySlackRequest` and ExpressReceiver's `verifyRequestSignature`
 * refuse `timestamp < now - 5 min` and nothing else (node_modules/@slack/bolt/dist/receivers/
 * verify-request.js, ExpressReceiver.js). A request signed with a future timestamp (a
 * captured signature of a clock gone wrong, or one an insider prepared) would stay
 * replayable until that time plus five minutes; this closes the other side.
 */
export function isFutureSlackTimestamp(header: string | string[] | undefined, nowMs: number): boolean {
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(seconds) && seconds > Math.floor(nowMs / 1000) + SlackTimestampSkewSeconds;
}
