import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Usage } from '../../src/cli/main';

/**
 * deploy/README.md "Going to production": every command it gives must be one this repository
 * supports — the files it names exist, the `npm run` scripts are in package.json, the
 * `rdp-fix` commands are in the CLI, the settings are read by src/config.ts.
 */
const root = join(__dirname, '..', '..');
const guideFile = readFileSync(join(root, 'deploy', 'README.md'), 'utf8');
const guide = guideFile.slice(guideFile.indexOf('## Going to production'), guideFile.indexOf('## Settings'));
const scripts = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts);
const config = readFileSync(join(root, 'src', 'config.ts'), 'utf8');

test('the guide exists and the root README links to it', () => {
  expect(guide.length).toBeGreaterThan(2_000);
  expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('deploy/README.md#going-to-production');
  for (const topic of [
    'HOST=0.0.0.0',
    'RDPFIX_PUBLIC_URL',
    'RDPFIX_WEB_TOKEN',
    'RDPFIX_WEB_ALLOWED_USERS',
    'az role definition create',
    'az role assignment create',
    'member ID',
    'az ad user show',
    'RDPFIX_ALLOW_SELF_APPROVAL=true',
    'postgres=true',
    'npm run teams:package',
    'docker build',
    'az bicep build',
  ])
    expect(guide).toContain(topic);
});

test('every npm script, rdp-fix command, file and setting the guide names exists', () => {
  for (const [, script] of guide.matchAll(/npm run ([\w:-]+)/g)) expect(scripts).toContain(script);
  for (const [, command] of guide.matchAll(/`rdp-fix (\w+(?: \w+)?)/g))
    expect(Usage).toContain(`rdp-fix ${command}`);
  // Paths: from the repository root (deploy/…, test/…) or from deploy/ (azure/…, ../Dockerfile).
  const paths = [
    ...guide.matchAll(
      /(?:`|@|--file |--template-file )((?:\.\.\/|deploy\/|azure\/|teams\/|slack\/|test\/)[\w./-]+\.\w+)/g,
    ),
  ].map((m) => m[1]!);
  expect(paths.length).toBeGreaterThan(8);
  for (const path of paths) {
    const here = existsSync(join(root, path)) || existsSync(join(root, 'deploy', path));
    expect(here ? path : `${path} (missing)`).toBe(path);
  }
  for (const [setting] of guide.matchAll(/\b(?:RDPFIX|SLACK)_[A-Z_]+\b/g)) expect(config).toContain(setting);
  // The Bicep parameters the guide passes are the template's own.
  const bicep = readFileSync(join(root, 'deploy', 'azure', 'main.bicep'), 'utf8');
  for (const [, param] of guide.matchAll(/(\w+)=…/g)) expect(bicep).toContain(`param ${param} `);
});
