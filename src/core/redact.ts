/**
 * Removes secrets from text before it is stored: output from a VM can hold tokens,
 * passwords and keys, and transcripts are read by many people later.
 */
const Patterns: [RegExp, string][] = [
  [/\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/g, 'Bearer [redacted]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[redacted jwt]'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, '[redacted slack token]'],
  [
    /\b(AccountKey|SharedAccessKey|sig|client_secret|password|pwd|secret|token)=([^\s;&"']+)/gi,
    '$1=[redacted]',
  ],
  [/("(?:password|secret|token|clientSecret|accessToken)"\s*:\s*")[^"]*(")/gi, '$1[redacted]$2'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '[redacted private key]'],
];

export function redact(text: string): string {
  return Patterns.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}
