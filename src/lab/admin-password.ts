import { randomInt } from 'node:crypto';

const Upper = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const Lower = 'abcdefghijkmnopqrstuvwxyz';
const Digits = '23456789';
const Special = '!@#%^*-_=+.';
const All = Upper + Lower + Digits + Special;

/**
 * A random admin password for the lab VM, meeting Azure's rule for Windows (8-123
 * characters, three of upper, lower, digit, special: here all four). Nobody needs it: the
 * lab is reached through Run Command only. It is sent once in the VM's PUT, never printed
 * or stored. `pick(n)` is a random integer below n (crypto's by default; tests pass their own).
 */
export function generateAdminPassword(pick: (n: number) => number = randomInt, length = 24): string {
  const from = (set: string) => set[pick(set.length)] ?? '';
  const chars = [from(Upper), from(Lower), from(Digits), from(Special)];
  while (chars.length < length) chars.push(from(All));
  // Shuffle so the four guaranteed classes are not always first (Fisher-Yates).
  for (let i = chars.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? ''];
  }
  return chars.join('');
}
