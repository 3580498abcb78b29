import type { Localized, Risk } from '../core/types';
import { Texts } from '../texts/catalogue';

/** The words on step cards, the same in every channel (src/texts/). */
export const CardLabels = Texts.card;

export const RiskLabels: Record<Risk, Localized> = Texts.risk;
