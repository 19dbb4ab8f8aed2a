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

  test('each SQL text is parsed once and then runs as a named statement, also after a rollback', async () => {
    const text = 'select n from items where id = $1';
    await expect(
      db.transaction(async (tx) => {
        await tx.query(text, ['a']);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect((await db.query(text, ['a'])).rows).toEqual([{ n: 100 }]);
    expect((await db.query(text, ['b'])).rows).toEqual([{ n: 2 }]);
    const named = await db.query(
      'select count(*)::int as c from pg_prepared_statements where statement = $1',
      [text],
    );
    expect(named.rows).toEqual([{ c: 1 }]);
  });

  test('a COMMIT after a failed statement rolls back and says so', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into items values ($1, $2)', ['d', 4]);
        await tx.query('insert into items values ($1, $2)', ['a', 5]).catch(() => undefined);
      }),
    ).rejects.toThrow('rolled back');
    expect((await db.query('select id from items where id = $1', ['d'])).rows).toEqual([]);
  });

  test('a statement whose columns changed with DDL is parsed again instead of failing', async () => {
    const text = 'select * from items where id = $1';
    expect(Object.keys((await db.query(text, ['a'])).rows[0] as object)).toEqual(['id', 'n', 'doc']);
    await db.exec('alter table items add column note text');
    expect(Object.keys((await db.query(text, ['a'])).rows[0] as object)).toEqual(['id', 'n', 'doc', 'note']);
  });

  test('it keeps at most maxStatements parsed statements', async () => {
    const small = new PgliteThread(undefined, { maxStatements: 3 });
    await small.waitReady;
    try {
      for (let i = 0; i < 10; i++) expect((await small.query(`select ${i} as n`)).rows).toEqual([{ n: i }]);
      const kept = await small.query('select count(*)::int as c from pg_prepared_statements');
      expect(kept.rows).toEqual([{ c: 3 }]);
      // An evicted statement still runs: it is parsed again.
      expect((await small.query('select 0 as n')).rows).toEqual([{ n: 0 }]);
    } finally {
      await small.close();
    }
  });

  test('after close every call fails with a clear error', async () => {
    const other = new PgliteThread(undefined);
    await other.waitReady;
    await other.close();
    await expect(other.query('select 1')).rejects.toThrow('the database thread exited');
  });
});
