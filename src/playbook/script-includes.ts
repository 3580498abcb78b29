import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `# include: lib/<name>.ps1` on a line of its own is replaced by that file of the scripts
 * folder, so diagnose.ps1 and verify.ps1 read the evidence with one text and verify.ps1 and
 * restore-group-policy.ps1 restore Group Policy with one text. Run Command takes one script
 * (DESIGN.md, "Azure Run Command facts"): the splice happens here, once, and what is hashed,
 * approved and sent is the spliced text. Names are plain (`[a-z0-9-]`), so an include never
 * leaves the folder; a fragment never includes another.
 */
const IncludeLine = /^# include: lib\/([a-z0-9-]+\.ps1)[ \t]*\r?$/gm;

export class ScriptIncludeMissing extends Error {
  constructor(readonly include: string) {
    super(`include lib/${include} not found`);
    this.name = 'ScriptIncludeMissing';
  }
}

/** The script as sent: its text with every include line replaced by the fragment. */
export function readScript(scriptsDir: string, file: string): string {
  return spliceIncludes(readFileSync(join(scriptsDir, file), 'utf8'), scriptsDir);
}

/** Replaces each include line of a script text by its fragment, marked where it starts and ends. */
export function spliceIncludes(text: string, scriptsDir: string): string {
  return text.replace(IncludeLine, (_line, name: string) => {
    const path = join(scriptsDir, 'lib', name);
    if (!existsSync(path)) throw new ScriptIncludeMissing(name);
    const fragment = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    return `# region lib/${name}\n${fragment}\n# endregion lib/${name}`;
  });
}

/** The fragments a script text includes, by name (`evidence.ps1`). */
export function includesOf(text: string): string[] {
  return [...text.matchAll(IncludeLine)].map((m) => m[1] ?? '');
}
