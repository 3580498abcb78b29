import { ParamInputPrefix } from './card-extras';

/**
 * The parameter values an approval carries, by name: the card's `param_<Name>` inputs, which
 * Teams merges into `action.data` of the `adaptiveCard/action` invoke (and the Action.Submit
 * fallback into the message's `value`). Input.Number arrives as a number or a string depending
 * on the client; both are passed on as typed, an emptied field is left out (its default runs).
 * Undefined when there are none. Types and ranges are the engine's to check (resolveParams).
 */
export function paramsFromCardData(data: unknown): Record<string, string | number | boolean> | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const params: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(data).slice(0, 50)) {
    if (!key.startsWith(ParamInputPrefix)) continue;
    const name = key.slice(ParamInputPrefix.length);
    if (!/^[A-Z][A-Za-z0-9]{0,63}$/.test(name)) continue;
    if (
      typeof value === 'string'
        ? value !== '' && value.length <= 1024
        : typeof value === 'number' || typeof value === 'boolean'
    )
      params[name] = value;
  }
  return Object.keys(params).length ? params : undefined;
}
