import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { buildTeamsPackage } from '../../src/cli/teams-package';

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
  buildTeamsPackage(root, out, { clientId: '3d9b1c2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e' });
  const files = readZip(readFileSync(out));
  expect([...files.keys()]).toEqual(['manifest.json', 'color.png', 'outline.png']);
  const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8'));
  expect(manifest.bots[0].botId).toBe('3d9b1c2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e');
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
