import { ChatTexts } from '../../conversation/chat-texts';
import type { Reply } from '../../conversation/replies';
import { escapeSlack, escapeSlackCode } from './escape-slack';
import type { ReplyTarget } from './say-reply';

/**
 * A section's text holds 3,000 characters (Block Kit section block); the code fence, the
 * heading and the entities of `&<>` must fit in it too.
 */
const MaxInMessage = 2_800;

/**
 * "Show script": a code block to the person who asked when it fits in a message; otherwise
 * the whole script as a file in the incident's thread (the Web API's external upload flow,
 * files.uploadV2), with a line saying why it is a file. Never cut.
 */
export async function sendScript(reply: Extract<Reply, { kind: 'script' }>, to: ReplyTarget): Promise<void> {
  const heading = `*${escapeSlack(reply.name)}* (sha256 ${reply.sha256.slice(0, 12)})`;
  const code = escapeSlackCode(reply.text);
  if (heading.length + code.length + 8 <= MaxInMessage) {
    await to.ephemeral(to.channel, to.user, `${heading}\n\`\`\`${code}\`\`\``, reply.thread);
    return;
  }
  const file = {
    channel_id: to.channel,
    filename: reply.name,
    title: `${reply.name} (sha256 ${reply.sha256.slice(0, 12)})`,
    content: reply.text,
    // A file comment is read as mrkdwn: the script's name is escaped like any text.
    initial_comment: escapeSlack(ChatTexts.scriptAsFile(reply.name, reply.text.length)[to.locale]),
  };
  if (reply.thread) await to.client.filesUploadV2({ ...file, thread_ts: reply.thread });
  else await to.client.filesUploadV2(file);
}
