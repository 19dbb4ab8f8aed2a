import { AlexaVerifier, normalizeCertUrl } from './alexa.verify';
import { TEST_CERT_URL, type TestCa, makeTestCa, signBody } from './fixtures/test-ca';

let ca: TestCa;
beforeAll(() => {
  ca = makeTestCa();
});
afterAll(() => ca.remove());

const body = Buffer.from('{"version":"1.0","request":{"type":"LaunchRequest"}}');

function verifier(chains: Record<string, string> = {}, extra: { now?: () => Date } = {}) {
  const fetched: string[] = [];
  const v = new AlexaVerifier({
    trustedRoots: [ca.root],
    fetchCertChain: async (url) => {
      fetched.push(url);
      const pem = chains[url] ?? ca.chain;
      return pem;
    },
    ...extra,
  });
  return { v, fetched };
}

async function rejection(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { status: number; code: string; message: string };
    return { status: e.status, code: e.code, message: e.message };
  }
  throw new Error('expected a rejection');
}

describe('Alexa request verification (test CA)', () => {
  test('a body signed by the test CA leaf passes, and the chain is fetched once per URL', async () => {
    const { v, fetched } = verifier();
    const signature = signBody(body, ca.leafKey);
    await v.verifyRequest({ certUrl: TEST_CERT_URL, signature }, body);
    await v.verifyRequest({ certUrl: TEST_CERT_URL, signature }, body);
    expect(fetched).toEqual([TEST_CERT_URL]);
  });

  test('a signature over other bytes (one changed byte, or a re-serialized body) is refused', async () => {
    const { v } = verifier();
    const signature = signBody(body, ca.leafKey);
    const tampered = Buffer.from(body.toString().replace('Launch', 'Lunch'));
    expect(await rejection(v.verifyRequest({ certUrl: TEST_CERT_URL, signature }, tampered))).toMatchObject({
      status: 401,
      code: 'ALEXA_SIGNATURE_INVALID',
    });
    const spaced = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
    expect((await rejection(v.verifyRequest({ certUrl: TEST_CERT_URL, signature }, spaced))).status).toBe(
      401,
    );
    const garbage = Buffer.from('bm90IGEgc2lnbmF0dXJl', 'utf8').toString();
    expect(
      (await rejection(v.verifyRequest({ certUrl: TEST_CERT_URL, signature: garbage }, body))).status,
    ).toBe(401);
    expect(
      (await rejection(v.verifyRequest({ certUrl: TEST_CERT_URL, signature: '%%%' }, body))).message,
    ).toMatch(/base64/);
  });

  test('missing headers are refused', async () => {
    const { v } = verifier();
    const signature = signBody(body, ca.leafKey);
    expect((await rejection(v.verifyRequest({ signature }, body))).message).toMatch(/SignatureCertChainUrl/);
    expect((await rejection(v.verifyRequest({ certUrl: TEST_CERT_URL }, body))).message).toMatch(
      /Signature-256/,
    );
  });

  test.each([
    ['http', 'http://s3.amazonaws.com/echo.api/echo-api-cert.pem', /https/],
    ['another host', 'https://notamazon.com/echo.api/echo-api-cert.pem', /host/],
    ['a look-alike host', 'https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem', /host/],
    ['a path outside /echo.api/', 'https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem', /path/],
    ['a path that climbs out', 'https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem', /path/],
    ['port 444', 'https://s3.amazonaws.com:444/echo.api/echo-api-cert.pem', /port/],
    ['not a URL', 'echo.api', /not a URL/],
  ])('a certificate URL with %s is refused before anything is fetched', async (_name, url, message) => {
    const { v, fetched } = verifier();
    const r = await rejection(v.verifyRequest({ certUrl: url, signature: signBody(body, ca.leafKey) }, body));
    expect(r.status).toBe(401);
    expect(r.message).toMatch(message);
    expect(fetched).toEqual([]);
  });

  test.each([
    [
      'HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem',
      'https://s3.amazonaws.com/echo.api/echo-api-cert.pem',
    ],
    [
      'https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem',
      'https://s3.amazonaws.com/echo.api/echo-api-cert.pem',
    ],
    [
      'https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem',
      'https://s3.amazonaws.com/echo.api/echo-api-cert.pem',
    ],
    [
      'https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem',
      'https://s3.amazonaws.com/echo.api/echo-api-cert.pem',
    ],
  ])('the valid URL form %s is accepted, normalized', (url, normalized) => {
    expect(normalizeCertUrl(url)).toBe(normalized);
  });

  test('an expired signing certificate is refused', async () => {
    const { v } = verifier({ [TEST_CERT_URL]: ca.expiredChain });
    const r = await rejection(
      v.verifyRequest({ certUrl: TEST_CERT_URL, signature: signBody(body, ca.expiredKey) }, body),
    );
    expect(r).toMatchObject({ status: 401 });
    expect(r.message).toMatch(/expired/);
  });

  test('a certificate without the echo-api.amazon.com SAN is refused', async () => {
    const { v } = verifier({ [TEST_CERT_URL]: ca.noSanChain });
    const r = await rejection(
      v.verifyRequest({ certUrl: TEST_CERT_URL, signature: signBody(body, ca.noSanKey) }, body),
    );
    expect(r.message).toMatch(/echo-api\.amazon\.com/);
  });

  test('a chain from a root that is not trusted is refused', async () => {
    const { v } = verifier({ [TEST_CERT_URL]: ca.foreignChain });
    const r = await rejection(
      v.verifyRequest({ certUrl: TEST_CERT_URL, signature: signBody(body, ca.foreignKey) }, body),
    );
    expect(r.message).toMatch(/trusted root/);
  });

  test('a leaf without its intermediate does not reach the root', async () => {
    const leafOnly = ca.chain.slice(0, ca.chain.indexOf('-----END CERTIFICATE-----') + 25);
    const { v } = verifier({ [TEST_CERT_URL]: leafOnly });
    const r = await rejection(
      v.verifyRequest({ certUrl: TEST_CERT_URL, signature: signBody(body, ca.leafKey) }, body),
    );
    expect(r.message).toMatch(/trusted root/);
  });

  test('with the default trust store (node root certificates) the test CA is not trusted', async () => {
    const v = new AlexaVerifier({ fetchCertChain: async () => ca.chain });
    const r = await rejection(
      v.verifyRequest({ certUrl: TEST_CERT_URL, signature: signBody(body, ca.leafKey) }, body),
    );
    expect(r.message).toMatch(/trusted root/);
  });

  test('a fetch that fails is a 401 and is not cached', async () => {
    let calls = 0;
    const v = new AlexaVerifier({
      trustedRoots: [ca.root],
      fetchCertChain: async () => {
        calls++;
        if (calls === 1) throw new Error('timeout');
        return ca.chain;
      },
    });
    const signature = signBody(body, ca.leafKey);
    expect((await rejection(v.verifyRequest({ certUrl: TEST_CERT_URL, signature }, body))).message).toMatch(
      /fetched/,
    );
    await v.verifyRequest({ certUrl: TEST_CERT_URL, signature }, body);
    expect(calls).toBe(2);
  });

  test('a garbage chain is refused', async () => {
    const { v } = verifier({ [TEST_CERT_URL]: 'hello' });
    expect(
      (
        await rejection(
          v.verifyRequest({ certUrl: TEST_CERT_URL, signature: signBody(body, ca.leafKey) }, body),
        )
      ).status,
    ).toBe(401);
  });

  test('the timestamp must be within 150 s of now', () => {
    const now = new Date('2026-12-04T09:30:00Z');
    const { v } = verifier({}, { now: () => now });
    expect(() => v.checkTimestamp('2026-12-04T09:28:00Z')).not.toThrow(); // 120 s
    expect(() => v.checkTimestamp('2026-12-04T09:26:40Z')).toThrow(/too far/); // 200 s old
    expect(() => v.checkTimestamp('2026-12-04T09:33:20Z')).toThrow(/too far/); // 200 s ahead
    expect(() => v.checkTimestamp('yesterday')).toThrow(/not a date/);
  });
});
