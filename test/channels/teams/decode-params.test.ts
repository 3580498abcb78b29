import { Activity } from '@microsoft/agents-activity';
import { paramsFromCardData } from '../../../src/channels/teams/decode-params';
import { decodeTeamsActivity } from '../../../src/channels/teams/decode-teams';
import { cardAction } from '../../support/teams/fake-bot-connector';

/** The card's `param_<Name>` inputs, merged by Teams into the action data, into an approval's params. */
test('param_ inputs become params, typed as sent; the card data and foreign keys do not', () => {
  expect(
    paramsFromCardData({
      verb: 'approve',
      i: 'inc1',
      s: 'change-rdp-port',
      a: 1,
      param_Port: 3391,
      param_Versions: '1.2',
      param_PauseGroupPolicy: 'false',
      param_DriveLetter: '',
      'param_not-a-name': 'x',
      param_Obj: { nested: true },
      other: 'y',
    }),
  ).toEqual({ Port: 3391, Versions: '1.2', PauseGroupPolicy: 'false' });
  for (const data of [undefined, null, 'x', [], {}]) expect(paramsFromCardData(data)).toBeUndefined();
});

test('an Approve invoke and its Action.Submit fallback carry the inputs; Skip does not', () => {
  const user = { id: 'aad-bob', name: 'Bob' };
  const data = { i: 'inc1', s: 'change-rdp-port', a: 1, param_Port: '3391' };
  const invoke = decodeTeamsActivity(
    Activity.fromObject(cardAction('https://x/', 'approve', data)),
    user,
    'en',
  );
  expect(invoke).toMatchObject({ kind: 'click', click: { verb: 'approve', params: { Port: '3391' } } });
  const skip = decodeTeamsActivity(Activity.fromObject(cardAction('https://x/', 'skip', data)), user, 'en');
  expect(skip).toMatchObject({ kind: 'click', click: { verb: 'skip' } });
  expect((skip as { click: object }).click).not.toHaveProperty('params');
  const submit = Activity.fromObject({
    ...cardAction('https://x/', 'approve', data),
    type: 'message',
    name: undefined,
    value: { verb: 'approve', ...data, msteams: { type: 'messageBack' } },
  });
  expect(decodeTeamsActivity(submit, user, 'en')).toMatchObject({
    kind: 'click',
    via: 'message',
    click: { params: { Port: '3391' } },
  });
});
