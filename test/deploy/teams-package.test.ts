import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { buildTeamsPackage, TeamsPackageRefused } from '../../src/cli/teams-package';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'rdpfix-teams-pkg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads the stored entries of a ZIP by its local headers, checking each CRC. */
function readZip(zip: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let at = 0;
  while (zip.readUInt32LE(at) === 0x04034b50) {
    const size = zip.readUInt32LE(at + 18);
    const nameLength = zip.readUInt16LE(at + 26);
    const name = zip.subarray(at + 30, at + 30 + nameLength).toString('utf8');
    const data = zip.subarray(at + 30 + nameLength, at + 30 + nameLength + size);
    expect(crc32(data)).toBe(zip.readUInt32LE(at + 14));
    files.set(name, data);
    at += 30 + nameLength + size;
  }
  return files;
}

test('npm run teams:package builds a zip whose manifest validates against the schema it declares', () => {
  const out = join(dir, 'app.zip');
  buildTeamsPackage(root, out, {
    clientId: '3d9b1c2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e',
    RDPFIX_PUBLIC_URL: 'https://rdp-fix.contoso.com/',
  });
  const files = readZip(readFileSync(out));
  expect([...files.keys()]).toEqual(['manifest.json', 'color.png', 'outline.png']);
  const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8'));
  expect(manifest.bots[0].botId).toBe('3d9b1c2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e');
  // The server's public address, not the placeholder, everywhere the manifest names one.
  expect(manifest.validDomains).toEqual(['rdp-fix.contoso.com']);
  expect(manifest.developer.websiteUrl).toBe('https://rdp-fix.contoso.com');
  expect(JSON.stringify(manifest)).not.toContain('example.com');
  const version = manifest.manifestVersion as string;
  expect(manifest.$schema).toContain(`/v${version}/MicrosoftTeams.schema.json`);
  const schema = JSON.parse(
    readFileSync(
      require.resolve(
        `@microsoft/app-manifest/build/json-schemas/teams/v${version}/MicrosoftTeams.schema.json`,
      ),
      'utf8',
    ),
  );
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  expect(validate(manifest) ? [] : validate.errors).toEqual([]);
  expect(manifest.bots[0].scopes.sort()).toEqual(['groupChat', 'personal', 'team']);
  // Icons: 192×192 colour and 32×32 outline PNGs.
  const size = (png: Buffer) => [png.readUInt32BE(16), png.readUInt32BE(20)];
  expect(size(files.get('color.png')!)).toEqual([192, 192]);
  expect(size(files.get('outline.png')!)).toEqual([32, 32]);
});

test('the schema check does catch a broken manifest', () => {
  const manifest = JSON.parse(readFileSync(join(root, 'deploy', 'teams', 'manifest.json'), 'utf8'));
  delete manifest.icons;
  manifest.bots[0].scopes = ['everywhere'];
  const schema = JSON.parse(
    readFileSync(
      require.resolve('@microsoft/app-manifest/build/json-schemas/teams/v1.24/MicrosoftTeams.schema.json'),
      'utf8',
    ),
  );
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  expect(ajv.compile(schema)(manifest)).toBe(false);
});

test('no clientId, a clientId that is no GUID, no or http RDPFIX_PUBLIC_URL: refused, nothing written', () => {
  const out = join(dir, 'refused.zip');
  const good = {
    clientId: '3d9b1c2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e',
    RDPFIX_PUBLIC_URL: 'https://a.contoso.com',
  };
  const refusal = (env: Record<string, string | undefined>) => {
    try {
      buildTeamsPackage(root, out, env);
    } catch (err) {
      if (err instanceof TeamsPackageRefused) return err.message;
      throw err;
    }
    return 'built';
  };
  expect(refusal({ RDPFIX_PUBLIC_URL: good.RDPFIX_PUBLIC_URL })).toMatch(/^clientId is not set/);
  expect(refusal({ ...good, clientId: 'my-bot' })).toBe('clientId "my-bot" is not an app id (a GUID)');
  expect(refusal({ clientId: good.clientId })).toMatch(/^RDPFIX_PUBLIC_URL is not set/);
  expect(refusal({ ...good, RDPFIX_PUBLIC_URL: 'http://a.contoso.com' })).toMatch(
    /^RDPFIX_PUBLIC_URL "http:\/\/a\.contoso\.com" is not an https address/,
  );
  expect(existsSync(out)).toBe(false);
});

test('the teams:package program (dist) exits 1 and says why without clientId', () => {
  // npm test builds dist/ before jest; `npm run teams:package` runs this file after a build.
  const run = spawnSync(process.execPath, [join(root, 'dist', 'src', 'cli', 'teams-package.js')], {
    env: { PATH: process.env.PATH, RDPFIX_PUBLIC_URL: 'https://a.contoso.com' },
    encoding: 'utf8',
  });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('No package written: clientId is not set');
  expect(run.stdout).toBe('');
});
