/**
 * Reads a value from a JSON-like object by a `/`-separated path (`listener/services/0`).
 * `/` because evidence keys hold dots ("TLS 1.2"). Missing parts give `undefined`.
 */
export function readPath(root: unknown, path: string): unknown {
  let value: unknown = root;
  for (const part of path.split('/')) {
    if (value === null || value === undefined) return undefined;
    if (Array.isArray(value)) {
      const index = Number(part);
      value = Number.isInteger(index) ? value[index] : undefined;
    } else if (typeof value === 'object') {
      value = Object.hasOwn(value, part) ? (value as Record<string, unknown>)[part] : undefined;
    } else {
      return undefined;
    }
  }
  return value;
}

/** Formats a fact for a sentence: arrays joined, null/undefined as "none". */
export function formatFact(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (Array.isArray(value)) return value.length ? value.map(formatFact).join(', ') : 'none';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Fills `{path}` placeholders of a template from a facts object. */
export function fillTemplate(template: string, facts: unknown): string {
  return template.replace(/\{([^{}]+)\}/g, (_, path: string) => formatFact(readPath(facts, path)));
}
