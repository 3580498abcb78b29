import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { squarePng } from './png';
import { zipStored } from './zip';

const Navy: [number, number, number, number] = [0x1f, 0x3a, 0x5f, 0xff];
const White: [number, number, number, number] = [0xff, 0xff, 0xff, 0xff];
const Clear: [number, number, number, number] = [0, 0, 0, 0];

/** Why the package was not built: a setting it needs is missing or wrong. */
export class TeamsPackageRefused extends Error {}

const Guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The placeholder host in deploy/teams/manifest.json, replaced by the server's public one. */
const PlaceholderOrigin = 'https://rdp-fix.example.com';

/**
 * Builds the Teams app package: manifest.json with the bot id from `clientId` (or
 * MicrosoftAppId) and the server's public address from RDPFIX_PUBLIC_URL (developer URLs and
 * `validDomains`), and the two icons Teams requires (color 192×192, outline 32×32 white on
 * transparent), zipped at the root as Teams expects. Without either setting it refuses: a
 * package with the placeholder bot id or domain installs, and then nothing answers.
 */
export function buildTeamsPackage(
  root: string,
  out: string,
  env: Record<string, string | undefined>,
): { zip: string; manifest: Record<string, unknown> } {
  const botId = env.clientId ?? env.MicrosoftAppId;
  if (!botId)
    throw new TeamsPackageRefused(
      "clientId is not set: give the Azure Bot's Microsoft App ID, e.g. clientId=<app id> RDPFIX_PUBLIC_URL=https://<your server> npm run teams:package",
    );
  if (!Guid.test(botId)) throw new TeamsPackageRefused(`clientId "${botId}" is not an app id (a GUID)`);
  const publicUrl = env.RDPFIX_PUBLIC_URL?.replace(/\/$/, '');
  let host: string;
  try {
    const url = new URL(publicUrl ?? '');
    if (url.protocol !== 'https:') throw new Error('not https');
    host = url.hostname;
  } catch {
    throw new TeamsPackageRefused(
      `RDPFIX_PUBLIC_URL ${publicUrl ? `"${publicUrl}" is not an https address` : 'is not set'}: give the server's public https address (the one Teams and the transcript links use), e.g. RDPFIX_PUBLIC_URL=https://rdp-fix.contoso.com`,
    );
  }
  const text = readFileSync(join(root, 'deploy', 'teams', 'manifest.json'), 'utf8').replaceAll(
    PlaceholderOrigin,
    publicUrl as string,
  );
  const manifest = JSON.parse(text) as { bots: { botId: string }[]; validDomains: string[] } & Record<
    string,
    unknown
  >;
  for (const bot of manifest.bots) bot.botId = botId;
  manifest.validDomains = [host];
  // The color icon: a navy square with a white "window" frame; the outline: the frame alone.
  const frame = (size: number, x: number, y: number) => {
    const m = Math.round(size * 0.22);
    const t = Math.max(2, Math.round(size * 0.08));
    const inside = x >= m && x < size - m && y >= m && y < size - m;
    const innerHole = x >= m + t && x < size - m - t && y >= m + t * 2 && y < size - m - t;
    return inside && !innerHole;
  };
  const files = [
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) },
    { name: 'color.png', data: squarePng(192, (x, y) => (frame(192, x, y) ? White : Navy)) },
    { name: 'outline.png', data: squarePng(32, (x, y) => (frame(32, x, y) ? White : Clear)) },
  ];
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, zipStored(files));
  return { zip: out, manifest };
}

/** `npm run teams:package`: the package, or why not (exit 1). */
export function runTeamsPackage(
  root: string,
  env: Record<string, string | undefined>,
  io: { out: (t: string) => void; err: (t: string) => void },
): number {
  const out = join(root, 'dist', 'teams', 'rdp-fix-teams.zip');
  try {
    const { zip, manifest } = buildTeamsPackage(root, out, env);
    const domains = (manifest.validDomains as string[]).join(', ');
    io.out(
      `Wrote ${zip} (bot ${env.clientId ?? env.MicrosoftAppId}, domain ${domains}): upload it in Teams (Apps → Manage your apps → Upload an app).\n`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof TeamsPackageRefused)) throw err;
    io.err(`No package written: ${err.message}\n`);
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = runTeamsPackage(join(__dirname, '..', '..', '..'), process.env, {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  });
}
