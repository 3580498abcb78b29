import { Texts } from '../texts/catalogue';

/**
 * What the conversation answers itself (help, empty lists, forged buttons, VMs it cannot
 * open an incident for), from the catalogue (src/texts/); the engine's own texts come with
 * its messages. Written in Slack mrkdwn: `plain()` strips the marks for the other channels.
 */
export const ChatTexts = Texts.chat;

/** Text without Slack's `*bold*` and `code` marks, for Teams and the web page. */
export function plain(text: string): string {
  return text.replace(/[*`]/g, '');
}
