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

/** The src/ folders or files a file imports (relative imports only), e.g. `store/…`, `runtime`. */
function importsOf(file: string): string[] {
  const src = resolve(__dirname, '..', '..', 'src');
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((imported) => imported.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) =>
      relative(src, resolve(dirname(file), spec))
        .split(sep)
        .join('/'),
    );
}

describe('channels decode and render; only the composition root sees the store and the runtime', () => {
  const src = resolve(__dirname, '..', '..', 'src');
  const adapters = [...sourceFiles(join(src, 'channels')), join(src, 'cli', 'chat.ts')];
  const conversation = sourceFiles(join(src, 'conversation'));

  test('the check reads the real folders', () => {
    expect(adapters.map((f) => relative(src, f))).toEqual(
      expect.arrayContaining([join('channels', 'slack', 'slack-channel.ts'), join('cli', 'chat.ts')]),
    );
    expect(conversation.length).toBeGreaterThan(3);
  });

  test.each(adapters.map((f) => [relative(src, f), f]))(
    '%s imports no store and no runtime',
    (_name, file) => {
      expect(importsOf(file).filter((m) => m.startsWith('store/') || m === 'runtime')).toEqual([]);
    },
  );

  test.each(conversation.map((f) => [relative(src, f), f]))(
    '%s imports no runtime and only store types',
    (_name, file) => {
      expect(importsOf(file).filter((m) => m === 'runtime')).toEqual([]);
      // `import type` is erased at build time: the conversation names the store's record shapes only.
      const values = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => /^import (?!type )/.test(line) && /from '\.\.\/store\//.test(line));
      expect(values).toEqual([]);
    },
  );
});
