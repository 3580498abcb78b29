import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { squarePng } from './png';
import { zipStored } from './zip';

const Navy: [number, number, number, number] = [0x1f, 0x3a, 0x5f, 0xff];
const White: [number, number, number, number] = [0xff, 0xff, 0xff, 0xff];
const Clear: [number, number, number, number] = [0, 0, 0, 0];

/**
 * Builds the Teams app package: manifest.json (the bot id from `clientId` / MicrosoftAppId
 * when set) and the two icons Teams requires (color 192×192, outline 32×32 white on
 * transparent), zipped at the root as Teams expects.
 */
export function buildTeamsPackage(
  root: string,
  out: string,
  env: Record<string, string | undefined>,
): { zip: string; manifest: Record<string, unknown> } {
  const manifest = JSON.parse(readFileSync(join(root, 'deploy', 'teams', 'manifest.json'), 'utf8')) as {
    bots: { botId: string }[];
  } & Record<string, unknown>;
  const botId = env.clientId ?? env.MicrosoftAppId;
  if (botId) for (const bot of manifest.bots) bot.botId = botId;
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

if (require.main === module) {
  const root = join(__dirname, '..', '..', '..');
  const out = join(root, 'dist', 'teams', 'rdp-fix-teams.zip');
  const { zip } = buildTeamsPackage(root, out, process.env);
  process.stdout.write(`Wrote ${zip}: upload it in Teams (Apps → Manage your apps → Upload an app).\n`);
}
