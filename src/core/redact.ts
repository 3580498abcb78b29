/**
 * Removes secrets from text before it is stored: output from a VM can hold tokens,
 * passwords and keys, and transcripts are read by many people later. The patterns err on
 * the side of hiding: a word after `password:` that was not a secret is a small loss; a
 * password in a transcript that every reviewer can read is not.
 */
const Redacted = '[redacted]';

/** Names under which a value is a secret, in `name=value`, `name: value` and `-Name value` forms. */
const SecretNames =
  'AccountKey|SharedAccessKey|sig|client_?secret|password|passwd|pwd|secret|token|access_?token|api_?key';

const Patterns: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '[redacted private key]'],
  [/\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/g, 'Bearer [redacted]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[redacted jwt]'],
  // Slack bot/user tokens (xoxb-, xoxp-…) and app-level tokens (xapp-).
  [/\bx(?:ox[abposr]|app)-[A-Za-z0-9-]{10,}/g, '[redacted slack token]'],
  // GitHub tokens: classic (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained (github_pat_).
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, '[redacted github token]'],
  // AWS access key ids (long-term AKIA, temporary ASIA): 20 upper-case letters and digits.
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, '[redacted aws key id]'],
  // PowerShell: ConvertTo-SecureString "plain" -AsPlainText (with or without -String).
  [/(ConvertTo-SecureString\s+(?:-String\s+)?)("[^"]*"|'[^']*'|[^\s|;)]+)/gi, `$1${Redacted}`],
  // PowerShell parameters: -Password x, -ClientSecret 'x'.
  [/(\s-(?:Password|ClientSecret|Secret|Token|ApiKey)\s+)("[^"]*"|'[^']*'|[^\s|;)]+)/gi, `$1${Redacted}`],
  // JSON: "password": "x" (before the generic form, which would stop at the quote).
  [
    /("(?:password|passwd|pwd|secret|token|client_?secret|access_?token|api_?key)"\s*:\s*")[^"]*(")/gi,
    `$1${Redacted}$2`,
  ],
  // name=value, name: value, name = "value" (connection strings, ini files, YAML, logs).
  [
    new RegExp(`\\b(${SecretNames})(\\s*[:=]\\s*)(?!\\[redacted)("[^"]*"|'[^']*'|[^\\s;&"',}]+)`, 'gi'),
    `$1$2${Redacted}`,
  ],
];

export function redact(text: string): string {
  return Patterns.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/** Keys whose whole value is a secret wherever they appear in parsed script data. */
const SecretKey = new RegExp(`^(?:${SecretNames}|credential|connection_?string)$`, 'i');

/**
 * Redacts a parsed value (a script's `data`): every string inside it, at any depth, and the
 * whole value of a key named like a secret. The shape is kept, so facts still read it.
 */
export function redactData<T>(value: T): T {
  return redactValue(value, 0) as T;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redact(value);
  // Parsed JSON is a tree; the bound only guards against a pathological nesting.
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      SecretKey.test(key) && v !== null && v !== undefined && typeof v !== 'boolean'
        ? Redacted
        : redactValue(v, depth + 1),
    ]),
  );
}
