import type { Localized } from '../core/types';
import { fillTemplate, readPath } from './facts';
import type { CauseDef, Condition } from './schema';

/** A cause of the article that the evidence shows, with the reason in every language. */
export interface CauseFinding {
  id: string;
  section: string;
  title: Localized;
  reason: Localized;
}

/** Evaluates one condition against the evidence. Unknown values never match a positive test. */
export function matches(condition: Condition, evidence: unknown): boolean {
  if ('all' in condition) return condition.all.every((c) => matches(c, evidence));
  if ('any' in condition) return condition.any.some((c) => matches(c, evidence));
  if ('not' in condition) return !matches(condition.not, evidence);
  const value = readPath(evidence, condition.path);
  switch (condition.op) {
    case 'eq':
      return value === condition.value;
    case 'ne':
      return value !== undefined && value !== condition.value;
    case 'in':
      return Array.isArray(condition.value) && condition.value.includes(value);
    case 'contains':
      return Array.isArray(value) && value.includes(condition.value);
    case 'notContains':
      return Array.isArray(value) && !value.includes(condition.value);
    case 'isNull':
      return value === null;
    case 'notNull':
      return value !== null && value !== undefined;
    case 'isTrue':
      return value === true;
    case 'isFalse':
      return value === false;
    case 'empty':
      return Array.isArray(value) && value.length === 0;
    case 'notEmpty':
      return Array.isArray(value) && value.length > 0;
    case 'gt':
      return typeof value === 'number' && typeof condition.value === 'number' && value > condition.value;
  }
}

/**
 * Maps evidence to the playbook's causes, in the article's order, each with its reason
 * ("TermService does not own port 3389: svchost (W3SVC) does"). Pure.
 */
export function evaluateCauses(causes: readonly CauseDef[], evidence: unknown): CauseFinding[] {
  return causes
    .filter((cause) => matches(cause.when, evidence))
    .map((cause) => ({
      id: cause.id,
      section: cause.section,
      title: cause.title,
      reason: { en: fillTemplate(cause.reason.en, evidence), it: fillTemplate(cause.reason.it, evidence) },
    }));
}
