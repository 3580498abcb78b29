import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const coreDir = resolve(__dirname, '..', '..', 'src', 'core');

/** Every .ts file under a folder, subfolders included, as absolute paths. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * The modules a file imports that live outside src/core: relative paths that climb out of
 * it and absolute paths. Packages (`zod`, `node:crypto`) are allowed. TypeScript's own
 * scanner reads the imports, so `import type`, re-exports, `import()` and `require()` all
 * count and a path in a comment or a string does not.
 */
function importsOutsideCore(file: string, text: string): string[] {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles
    .map((imported) => imported.fileName)
    .filter((spec) => {
      if (isAbsolute(spec)) return true;
      if (!spec.startsWith('.')) return false;
      const target = relative(coreDir, resolve(dirname(file), spec));
      return target === '..' || target.startsWith(`..${sep}`);
    });
}

describe('src/core imports nothing of ours', () => {
  const files = sourceFiles(coreDir);

  test('the check reads the real folder', () => {
    expect(files.map((f) => relative(coreDir, f))).toEqual(
      expect.arrayContaining(['errors.ts', 'types.ts', 'transcript.ts']),
    );
  });

  test('the check tells a way out of core from a way within it', () => {
    const file = join(coreDir, 'example.ts');
    const text = [
      "import { ErrorCodes } from './errors';",
      "import type { ParamDef } from '../playbook/schema';",
      "export { readPath } from '../playbook/facts';",
      "const late = () => import('../engine/outbox');",
      "const old = require('/somewhere/else');",
      "// import { nothing } from '../not/an/import';",
      "import { z } from 'zod';",
    ].join('\n');
    expect(importsOutsideCore(file, text)).toEqual([
      '../playbook/schema',
      '../playbook/facts',
      '../engine/outbox',
      '/somewhere/else',
    ]);
  });

  test.each(files.map((f) => [relative(coreDir, f), f]))('%s', (_name, file) => {
    expect(importsOutsideCore(file, readFileSync(file, 'utf8'))).toEqual([]);
  });
});
