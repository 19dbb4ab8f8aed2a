import { CircuitBreaker } from './circuit-breaker';
import { CommerceError, commerceErrors } from './commerce';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const fail =
  (err: unknown = commerceErrors.unavailable('down')) =>
  () =>
    Promise.reject(err);
const ok = () => Promise.resolve('ok');

async function failures(breaker: CircuitBreaker, n: number, err?: unknown): Promise<void> {
  for (let i = 0; i < n; i++) await expect(breaker.run(fail(err))).rejects.toBeDefined();
}

describe('CircuitBreaker', () => {
  test('opens after 5 consecutive failures by default and fails fast, without calling', async () => {
    const c = clock();
    const breaker = new CircuitBreaker({ now: c.now });
    await failures(breaker, 4);
    expect(breaker.state).toBe('closed');
    await failures(breaker, 1);
    expect(breaker.state).toBe('open');

    const call = jest.fn(ok);
    const err = await breaker.run(call).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommerceError);
    expect(err).toMatchObject({ code: 'BACKEND_UNAVAILABLE', retryable: true });
    expect(call).not.toHaveBeenCalled();
  });

  test('each kind of backend failure counts: unavailable, timeout, bad response', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3 });
    await failures(breaker, 1, commerceErrors.unavailable('x'));
    await failures(breaker, 1, commerceErrors.timeout(10));
    await failures(breaker, 1, commerceErrors.badResponse('x'));
    expect(breaker.state).toBe('open');
  });

  test('a success, a refused request or a foreign error breaks the run', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3 });
    await failures(breaker, 2);
    await breaker.run(ok);
    await failures(breaker, 2);
    await failures(breaker, 1, commerceErrors.badRequest('400'));
    await failures(breaker, 2);
    await failures(breaker, 1, new Error('a bug of ours'));
    await failures(breaker, 2);
    expect(breaker.state).toBe('closed');
  });

  test('failures spread wider than the window do not open it', async () => {
    const c = clock();
    const breaker = new CircuitBreaker({ failureThreshold: 3, windowMs: 10_000, now: c.now });
    await failures(breaker, 2);
    c.advance(10_000);
    await failures(breaker, 2);
    expect(breaker.state).toBe('closed');
    await failures(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  test('half-opens after the cool-down (30 s by default) and lets one probe through', async () => {
    const c = clock();
    const breaker = new CircuitBreaker({ failureThreshold: 1, now: c.now });
    await failures(breaker, 1);
    c.advance(29_999);
    expect(breaker.state).toBe('open');
    c.advance(1);
    expect(breaker.state).toBe('half-open');

    let finish!: (v: string) => void;
    const probe = breaker.run(() => new Promise<string>((r) => (finish = r)));
    const other = jest.fn(ok);
    await expect(breaker.run(other)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(other).not.toHaveBeenCalled();
    finish('ok');
    await expect(probe).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
    await expect(breaker.run(ok)).resolves.toBe('ok');
  });

  test('a failed probe opens it for another cool-down', async () => {
    const c = clock();
    const breaker = new CircuitBreaker({ failureThreshold: 2, coolDownMs: 1000, now: c.now });
    await failures(breaker, 2);
    c.advance(1000);
    await failures(breaker, 1);
    expect(breaker.state).toBe('open');
    c.advance(999);
    expect(breaker.state).toBe('open');
    c.advance(1);
    expect(breaker.state).toBe('half-open');
  });

  test('a probe answered with a refused request still proves the backend is up', async () => {
    const c = clock();
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 1000, now: c.now });
    await failures(breaker, 1);
    c.advance(1000);
    await failures(breaker, 1, commerceErrors.badRequest('400'));
    expect(breaker.state).toBe('closed');
  });
});
