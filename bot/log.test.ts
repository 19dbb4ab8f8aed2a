import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm';
import { createLogger, maskPersonalData } from './log';

/** A logger at info whose lines are kept in `lines`. */
function capturedLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger({ level: 'info', destination }), lines };
}

describe('personal data is masked in logs', () => {
  test.each([
    ['我的手机号是13812345678', '我的手机号是138****5678'],
    ['call me at +1 415 555 2671', 'call me at +1 4****71'],
    ['寄到上海市浦东新区世纪大道100号', '寄到上海市***'],
    ['ship it to 1600 Pennsylvania Avenue please', 'ship it to *** [address] please'],
    ['订单 1001 什么时候发货', '订单 1001 什么时候发货'],
  ])('%s', (input, expected) => {
    expect(maskPersonalData(input)).toBe(expected);
  });

  test('the logger masks message text and nested fields, and redacts secrets', () => {
    const { log, lines } = capturedLogger();
    log.info(
      { turn: { text: '电话 13912345678' }, commerce: { secret: 'top-secret' } },
      '用户 13912345678 来了',
    );
    const out = lines.join('');
    expect(out).not.toContain('13912345678');
    expect(out).toContain('139****5678');
    expect(out).not.toContain('top-secret');
  });

  test("a failed query's parameters (customer texts, dialogue state) never reach the log", () => {
    const { log, lines } = capturedLogger();
    const cause = new Error('Connection terminated unexpectedly');
    const params = ['给13912345678充50块\n寄到 Emma 家', '{"memory":{"note":"Emma"}}'];
    log.error(
      { err: new DrizzleQueryError('insert into messages values ($1, $2)', params, cause) },
      'failed',
    );
    const out = lines.join('');
    expect(out).not.toMatch(/13912345678|139\*\*\*\*5678|Emma/);
    expect(out).toContain('params: [redacted]');
    expect(out).toContain('Connection terminated unexpectedly');
  });
});
