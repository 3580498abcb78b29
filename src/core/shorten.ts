/**
 * Text from outside, made safe to echo back: control characters other than tab and new
 * line replaced, and cut to `max` characters. Hostile input is never repeated whole.
 */
export function shorten(text: string, max = 60): string {
  const isControl = (code: number) => (code < 32 && code !== 9 && code !== 10) || code === 127;
  const clean = [...text].map((c) => (isControl(c.charCodeAt(0)) ? '?' : c)).join('');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
