import { Texts as All } from '../texts/catalogue';

/** Every sentence the engine says, in English and Italian (src/texts/). Channels pick the language. */
export const Texts = All.engine;
