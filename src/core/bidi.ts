/**
 * Unicode's explicit bidirectional controls (embeddings, overrides, isolates: U+202A–U+202E,
 * U+2066–U+2069). In data they reorder what follows — `invoice\u202Eexe.txt` reads as
 * "invoicetxt.exe" — so every target's escape replaces them with U+FFFD, visibly. Right-to-left
 * text itself (Arabic, Hebrew) needs none of them and is left alone.
 */
export function neutraliseBidi(text: string): string {
  return text.replace(/[\u202A-\u202E\u2066-\u2069]/g, '\uFFFD');
}
