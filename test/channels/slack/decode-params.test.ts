import { paramsFromSlackState } from '../../../src/channels/slack/decode-params';
import { decodeBlockAction } from '../../../src/channels/slack/decode-slack';
import { blockActionsPayload } from '../../support/slack/slack-requests';

/** `state.values` of a `block_actions` payload into an approval's parameters. */
const select = (value: string) => ({
  type: 'static_select',
  selected_option: { text: { type: 'plain_text', text: value }, value },
});
const input = (value: string | null) => ({ type: 'plain_text_input', value });

test('the card fields of an Approve press become its params; other fields and emptied ones do not', () => {
  expect(
    paramsFromSlackState({
      values: {
        rdpfix_p_enable_tls_1_Versions: { rdpfix_param_Versions: select('all') },
        rdpfix_p_x_1_Port: { rdpfix_param_Port: input('3391') },
        rdpfix_p_x_1_DriveLetter: { rdpfix_param_DriveLetter: input(null) },
        someone_elses: { other_action: input('x') },
        bad_name: { 'rdpfix_param_lower-case': input('x') },
      },
    }),
  ).toEqual({ Versions: 'all', Port: '3391' });
});

test('no fields, or a state that is not Slack shape, carry no params (the defaults shown run)', () => {
  for (const state of [
    undefined,
    null,
    'x',
    { values: [] },
    { values: { b: { rdpfix_param_Port: { value: 7 } } } },
  ])
    expect(paramsFromSlackState(state)).toBeUndefined();
  expect(
    paramsFromSlackState({ values: { b: { rdpfix_param_Port: input('9'.repeat(2000)) } } }),
  ).toBeUndefined();
});

test('only Approve carries params: Skip with the same state does not', () => {
  const value = JSON.stringify({ i: 'inc1', s: 'enable-tls', a: 1 });
  const state = { values: { b: { rdpfix_param_Versions: select('1.2') } } };
  const approve = blockActionsPayload('rdpfix_approve', value);
  const skip = blockActionsPayload('rdpfix_skip', value);
  const action = (p: Record<string, unknown>) => (p.actions as never[])[0]!;
  expect(decodeBlockAction({ ...approve, state } as never, action(approve))?.click).toMatchObject({
    verb: 'approve',
    params: { Versions: '1.2' },
  });
  expect(decodeBlockAction({ ...skip, state } as never, action(skip))?.click).not.toHaveProperty('params');
});
