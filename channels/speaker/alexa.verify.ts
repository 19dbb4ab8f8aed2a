import { X509Certificate, verify as verifySignature } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { KefuError } from '../../bot/errors';

/**
 * Checks that a request was sent by Alexa, as Amazon requires of skills hosted outside Lambda
 * ("Verifying that the request was sent by Alexa"): the certificate URL's form, the PEM chain
 * it names (dates, the `echo-api.amazon.com` SAN, a chain to a trusted root), the
 * `Signature-256` header over the raw body bytes, and the request timestamp (150 s).
 */
export type FetchCertChain = (url: string) => Promise<string>;

export interface AlexaVerifierOptions {
  /** Fetches the PEM chain the certificate URL names (default: node fetch, 5 s timeout). */
  fetchCertChain?: FetchCertChain;
  /** PEM root certificates a chain must end at (default: node's `tls.rootCertificates`). */
  trustedRoots?: readonly string[];
  now?: () => Date;
  /** How far the request timestamp may be from now (default 150 s, Amazon's limit). */
  toleranceMs?: number;
}

export const ALEXA_CERT_SAN = 'echo-api.amazon.com';
const FETCH_TIMEOUT_MS = 5_000;
const MAX_PEM_BYTES = 64 * 1024;
const MAX_CERTS = 10;
const CACHE_SIZE = 16;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function signatureInvalid(message: string): KefuError {
  return new KefuError('ALEXA_SIGNATURE_INVALID', message, 401);
}

/** The default fetcher: https only, no redirects, a timeout, a size limit. */
export const fetchCertChainOverHttps: FetchCertChain = async (url) => {
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`certificate chain: HTTP ${res.status}`);
  const text = await res.text();
  if (Buffer.byteLength(text) > MAX_PEM_BYTES) throw new Error('certificate chain: too large');
  return text;
};

/**
 * The URL Amazon would use for its certificate, normalized (`/echo.api/../echo.api/x` →
 * `/echo.api/x`); throws a 401 for any other. Rules: https, host s3.amazonaws.com (any case),
 * path starting with `/echo.api/` (case-sensitive), port 443 when one is given.
 */
export function normalizeCertUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw signatureInvalid('SignatureCertChainUrl is not a URL.');
  }
  // WHATWG URL lower-cases the scheme and host, drops the default port (443) and resolves dot segments.
  if (url.protocol !== 'https:') throw signatureInvalid('SignatureCertChainUrl must use https.');
  if (url.hostname !== 's3.amazonaws.com')
    throw signatureInvalid('SignatureCertChainUrl has the wrong host.');
  if (url.port !== '' && url.port !== '443')
    throw signatureInvalid('SignatureCertChainUrl has the wrong port.');
  if (!url.pathname.startsWith('/echo.api/'))
    throw signatureInvalid('SignatureCertChainUrl has the wrong path.');
  if (url.username || url.password) throw signatureInvalid('SignatureCertChainUrl has credentials.');
  return url.href;
}

export class AlexaVerifier {
  private readonly fetchChain: FetchCertChain;
  private readonly now: () => Date;
  private readonly toleranceMs: number;
  private readonly rootPems: readonly string[];
  private roots?: X509Certificate[];
  /** PEM text by normalized URL (the chain is checked again on every request: dates move). */
  private readonly cache = new Map<string, Promise<string>>();

  constructor(options: AlexaVerifierOptions = {}) {
    this.fetchChain = options.fetchCertChain ?? fetchCertChainOverHttps;
    this.now = options.now ?? (() => new Date());
    this.toleranceMs = options.toleranceMs ?? 150_000;
    this.rootPems = options.trustedRoots ?? rootCertificates;
  }

  /** The signature headers and the raw body: throws a 401 unless Alexa signed these very bytes. */
  async verifyRequest(headers: { certUrl?: string; signature?: string }, body: Buffer): Promise<void> {
    if (!headers.certUrl) throw signatureInvalid('The SignatureCertChainUrl header is missing.');
    if (!headers.signature) throw signatureInvalid('The Signature-256 header is missing.');
    const signature = headers.signature.trim();
    if (signature.length > 2048 || !BASE64.test(signature))
      throw signatureInvalid('Signature-256 is not base64.');
    const url = normalizeCertUrl(headers.certUrl);
    const leaf = await this.signingCertificate(url);
    let ok: boolean;
    try {
      ok = verifySignature('sha256', body, leaf.publicKey, Buffer.from(signature, 'base64'));
    } catch {
      ok = false;
    }
    if (!ok) throw signatureInvalid('The request signature does not match.');
  }

  /** `request.timestamp` within the tolerance of now; a 400 otherwise (Amazon: "reject the request"). */
  checkTimestamp(timestamp: string): void {
    const at = Date.parse(timestamp);
    if (Number.isNaN(at))
      throw new KefuError('ALEXA_TIMESTAMP_INVALID', 'request.timestamp is not a date.', 400);
    if (Math.abs(this.now().getTime() - at) > this.toleranceMs) {
      throw new KefuError('ALEXA_TIMESTAMP_STALE', 'request.timestamp is too far from now.', 400);
    }
  }

  /** The chain behind `url`, checked: the leaf that signed. */
  private async signingCertificate(url: string): Promise<X509Certificate> {
    const pem = await this.chainPem(url);
    const chain = parseChain(pem);
    const now = this.now().getTime();
    for (const cert of chain) {
      if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
        throw signatureInvalid('A certificate of the chain is expired or not yet valid.');
      }
    }
    const leaf = chain[0]!;
    if (!hasDnsSan(leaf, ALEXA_CERT_SAN)) {
      throw signatureInvalid(`The signing certificate is not for ${ALEXA_CERT_SAN}.`);
    }
    for (let i = 0; i + 1 < chain.length; i++) {
      const cert = chain[i]!;
      const issuer = chain[i + 1]!;
      if (!issuer.ca || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
        throw signatureInvalid('The certificate chain is broken.');
      }
    }
    const top = chain[chain.length - 1]!;
    const trusted = this.trustedRoots().some(
      (root) =>
        root.fingerprint256 === top.fingerprint256 ||
        (root.ca &&
          top.checkIssued(root) &&
          top.verify(root.publicKey) &&
          now >= Date.parse(root.validFrom) &&
          now <= Date.parse(root.validTo)),
    );
    if (!trusted) throw signatureInvalid('The certificate chain does not lead to a trusted root.');
    return leaf;
  }

  private chainPem(url: string): Promise<string> {
    const cached = this.cache.get(url);
    if (cached) return cached;
    const pending = this.fetchChain(url).catch(() => {
      this.cache.delete(url);
      throw signatureInvalid('The certificate chain could not be fetched.');
    });
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(url, pending);
    return pending;
  }

  private trustedRoots(): X509Certificate[] {
    this.roots ??= this.rootPems.flatMap((pem) => {
      try {
        return [new X509Certificate(pem)];
      } catch {
        return [];
      }
    });
    return this.roots;
  }
}

function parseChain(pem: string): X509Certificate[] {
  const blocks = typeof pem === 'string' ? (pem.match(PEM_BLOCK) ?? []) : [];
  if (blocks.length === 0 || blocks.length > MAX_CERTS) {
    throw signatureInvalid('The certificate chain is empty or malformed.');
  }
  try {
    return blocks.map((b) => new X509Certificate(b));
  } catch {
    throw signatureInvalid('The certificate chain is malformed.');
  }
}

/** An exact `DNS:` entry of the subject alternative names (no wildcard, no CN fallback). */
function hasDnsSan(cert: X509Certificate, name: string): boolean {
  return (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .some((entry) => entry.toLowerCase() === `dns:${name}`);
}
