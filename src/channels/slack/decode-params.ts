import { z } from 'zod';
import { ParamActionPrefix } from './card-extras';

/**
 * One field's current value in a `block_actions` payload's `state.values` (Slack sends the
 * value of every input in the message with any button press:
 * https://docs.slack.dev/reference/interaction-payloads/block_actions-payload): `value` for a
 * `plain_text_input` (null once emptied), `selected_option` for a `static_select`.
 */
const fieldState = z.object({
  type: z.string().max(40).optional(),
  value: z.string().max(1024).nullish(),
  selected_option: z.object({ value: z.string().max(150) }).nullish(),
});
const blockState = z.object({
  values: z.record(z.string().max(255), z.record(z.string().max(255), fieldState)).optional(),
});

/**
 * The parameter values an approval carries, by name, as typed or chosen on the card: only
 * rdp-fix's own fields (action_id `rdpfix_param_<Name>`), an emptied field left out (its
 * default runs). Undefined when there are none. Types and ranges are the engine's to check
 * (resolveParams), so a bad value is refused there with the playbook's words. A state that is
 * not Slack's shape is ignored: the approval then runs the defaults the card showed.
 */
export function paramsFromSlackState(state: unknown): Record<string, string> | undefined {
  const parsed = blockState.safeParse(state);
  if (!parsed.success) return undefined;
  const params: Record<string, string> = {};
  for (const block of Object.values(parsed.data.values ?? {})) {
    for (const [actionId, field] of Object.entries(block)) {
      if (!actionId.startsWith(ParamActionPrefix)) continue;
      const name = actionId.slice(ParamActionPrefix.length);
      if (!/^[A-Z][A-Za-z0-9]{0,63}$/.test(name)) continue;
      const value = field.selected_option?.value ?? field.value;
      if (typeof value === 'string' && value !== '') params[name] = value;
    }
  }
  return Object.keys(params).length ? params : undefined;
}
