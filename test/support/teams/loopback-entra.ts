import { createSign, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for an Entra authority's key endpoint: serves
 * `/<tenant>/discovery/v2.0/keys` (the path the Agents SDK builds from the configured authority,
 * src/auth/jwt-middleware.ts 301) with one RSA key, and signs RS256 tokens with it, as Entra
 * signs the tokens the Bot Connector sends (real JWTs: header.payload.signature, base64url).
 */
export class LoopbackEntra {
  readonly tenant = randomUUID();
  readonly kid = `loopback-${randomUUID().slice(0, 8)}`;
  private readonly keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private server: Server | undefined;
  /** Requests for the keys. */
  keyRequests = 0;
  /** `http://127.0.0.1:<port>`: the authority to configure (`authorityEndpoint`). */
  authority = '';

  async start(): Promise<string> {
    const jwk = { ...this.keys.publicKey.export({ format: 'jwk' }), kid: this.kid, use: 'sig', alg: 'RS256' };
    this.server = createServer((req, res) => {
      if (req.url === `/${this.tenant}/discovery/v2.0/keys`) {
        this.keyRequests++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.authority = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.authority;
  }

  /** The v2 issuer the SDK expects for the configured tenant and this authority. */
  issuer(tenant = this.tenant): string {
    return `${this.authority}/${tenant}/v2.0`;
  }

  /** A signed token; `key` another private key to forge a signature with this authority's `kid`. */
  sign(claims: Record<string, unknown>, key: KeyObject = this.keys.privateKey): string {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const body = `${part({ alg: 'RS256', typ: 'JWT', kid: this.kid })}.${part(claims)}`;
    const signature = createSign('RSA-SHA256').update(body).sign(key).toString('base64url');
    return `${body}.${signature}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

/** An RSA private key that is not the authority's, for forged signatures. */
export function strangerKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}
