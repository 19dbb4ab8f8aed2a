import { PgliteThread } from './pglite-thread';

describe('PGlite on a worker thread', () => {
  let db: PgliteThread;
  beforeAll(async () => {
    db = new PgliteThread(undefined);
    await db.waitReady;
    await db.exec('create table items (id text primary key, n int not null, doc jsonb)');
  });
  afterAll(() => db.close());

  test('parameters, JSON and dates cross the thread as drizzle expects them', async () => {
    await db.query('insert into items values ($1, $2, $3)', ['a', 1, JSON.stringify({ zh: '你好' })]);
    const row = await db.query('select id, n, doc, now() as at from items where id = $1', ['a']);
    expect(row.rows).toEqual([{ id: 'a', n: 1, doc: { zh: '你好' }, at: expect.any(String) }]);
    const arrays = await db.query('select id, n from items', [], { rowMode: 'array' });
    expect(arrays.rows).toEqual([['a', 1]]);
    expect(arrays.fields.map((f) => f.name)).toEqual(['id', 'n']);
  });

  test('a database error keeps its PostgreSQL code and leaves the thread usable', async () => {
    await expect(db.query('insert into items values ($1, $2)', ['a', 2])).rejects.toMatchObject({
      code: '23505',
      message: expect.stringContaining('duplicate key'),
    });
    expect((await db.query('select count(*)::int as c from items')).rows).toEqual([{ c: 1 }]);
  });

  test('a transaction commits when its callback resolves and rolls back when it throws', async () => {
    await db.transaction(async (tx) => {
      await tx.query('insert into items values ($1, $2)', ['b', 2]);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into items values ($1, $2)', ['c', 3]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const ids = await db.query('select id from items order by id');
    expect(ids.rows).toEqual([{ id: 'a' }, { id: 'b' }]);
  });

  test('a query from outside waits for an open transaction instead of seeing its writes', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = db.transaction(async (t) => {
      await t.query('update items set n = 100 where id = $1', ['a']);
      await held;
    });
    await new Promise((r) => setTimeout(r, 20));
    let outsideDone = false;
    const outside = db.query('select n from items where id = $1', ['a']).then((r) => {
      outsideDone = true;
      return r.rows;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(outsideDone).toBe(false);
    release();
    await tx;
    expect(await outside).toEqual([{ n: 100 }]);
  });

  test('after close every call fails with a clear error', async () => {
    const other = new PgliteThread(undefined);
    await other.waitReady;
    await other.close();
    await expect(other.query('select 1')).rejects.toThrow('the database thread exited');
  });
});
