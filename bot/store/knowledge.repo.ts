import { type SQL, and, asc, count, eq, max, sql } from 'drizzle-orm';
import type { Db } from './db';
import { knowledgeEntries, nluArtifactCache, nluModels } from './schema';
import { desc } from 'drizzle-orm';

export interface KnowledgeEntry {
  id: string;
  locale: string;
  question: string;
  similar: string[];
  answer: string;
}

/** An entry as the admin lists it: with when it was last saved (ISO). */
export interface KnowledgeRecord extends KnowledgeEntry {
  updatedAt: string;
}

/** `%`, `_` and `\` match themselves in a LIKE pattern built from user text. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}

export class KnowledgeRepo {
  constructor(private readonly db: Db) {}

  /** Inserts new entries and replaces those whose id already exists, in one transaction. */
  async upsert(shopId: string, entries: KnowledgeEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    await this.db.transaction(async (tx) => {
      for (const e of entries) {
        const row = { shopId, ...e, updatedAt: new Date() };
        await tx
          .insert(knowledgeEntries)
          .values(row)
          .onConflictDoUpdate({
            target: [knowledgeEntries.shopId, knowledgeEntries.id],
            set: {
              locale: e.locale,
              question: e.question,
              similar: e.similar,
              answer: e.answer,
              updatedAt: row.updatedAt,
            },
          });
      }
    });
    return entries.length;
  }

  /** Changes whenever an entry is saved or deleted: how many there are and the latest save. */
  async revision(shopId: string): Promise<string> {
    const [row] = await this.db
      .select({ n: count(), latest: max(knowledgeEntries.updatedAt) })
      .from(knowledgeEntries)
      .where(eq(knowledgeEntries.shopId, shopId));
    return `${row?.n ?? 0}:${row?.latest ? new Date(row.latest).getTime() : 0}`;
  }

  async list(shopId: string): Promise<KnowledgeEntry[]> {
    const rows = await this.db
      .select()
      .from(knowledgeEntries)
      .where(eq(knowledgeEntries.shopId, shopId))
      .orderBy(asc(knowledgeEntries.id));
    return rows.map(({ id, locale, question, similar, answer }) => ({
      id,
      locale,
      question,
      similar,
      answer,
    }));
  }

  /**
   * The admin's list: entries whose question, answer or a similar question contains `q` (any case),
   * in one locale, a page at a time (by id), with how many match in all.
   */
  async search(
    shopId: string,
    opts: { q?: string; locale?: string; offset?: number; limit?: number } = {},
  ): Promise<{ entries: KnowledgeRecord[]; total: number }> {
    const where: SQL[] = [eq(knowledgeEntries.shopId, shopId)];
    if (opts.locale) where.push(eq(knowledgeEntries.locale, opts.locale));
    if (opts.q) {
      const pattern = likePattern(opts.q);
      where.push(sql`(${knowledgeEntries.question} ilike ${pattern} escape '\\'
        or ${knowledgeEntries.answer} ilike ${pattern} escape '\\'
        or exists (select 1 from jsonb_array_elements_text(${knowledgeEntries.similar}) s(text)
                   where s.text ilike ${pattern} escape '\\'))`);
    }
    const filter = and(...where);
    const [counted] = await this.db.select({ n: count() }).from(knowledgeEntries).where(filter);
    const page = this.db
      .select()
      .from(knowledgeEntries)
      .where(filter)
      .orderBy(asc(knowledgeEntries.id))
      .offset(opts.offset ?? 0);
    const rows = opts.limit === undefined ? await page : await page.limit(opts.limit);
    return { entries: rows.map(toRecord), total: counted?.n ?? 0 };
  }

  async get(shopId: string, id: string): Promise<KnowledgeRecord | undefined> {
    const [row] = await this.db
      .select()
      .from(knowledgeEntries)
      .where(and(eq(knowledgeEntries.shopId, shopId), eq(knowledgeEntries.id, id)));
    return row && toRecord(row);
  }

  /**
   * Adds a similar question to an entry unless it is already there (as the question or a similar
   * one, ignoring case and spacing). Undefined when there is no such entry; `full` when it holds `max`.
   */
  async addSimilar(
    shopId: string,
    id: string,
    text: string,
    max: number,
  ): Promise<{ entry: KnowledgeRecord; added: boolean } | 'full' | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(knowledgeEntries)
        .where(and(eq(knowledgeEntries.shopId, shopId), eq(knowledgeEntries.id, id)))
        .for('update');
      if (!row) return undefined;
      const same = (a: string) => sameQuestion(a, text);
      if (same(row.question) || row.similar.some(same)) return { entry: toRecord(row), added: false };
      if (row.similar.length >= max) return 'full';
      const [updated] = await tx
        .update(knowledgeEntries)
        .set({ similar: [...row.similar, text], updatedAt: new Date() })
        .where(and(eq(knowledgeEntries.shopId, shopId), eq(knowledgeEntries.id, id)))
        .returning();
      return { entry: toRecord(updated ?? row), added: true };
    });
  }

  async delete(shopId: string, id: string): Promise<boolean> {
    const deleted = await this.db
      .delete(knowledgeEntries)
      .where(and(eq(knowledgeEntries.shopId, shopId), eq(knowledgeEntries.id, id)))
      .returning({ id: knowledgeEntries.id });
    return deleted.length > 0;
  }
}

function sameQuestion(a: string, b: string): boolean {
  const norm = (s: string) => s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
  return norm(a) === norm(b);
}

function toRecord(row: typeof knowledgeEntries.$inferSelect): KnowledgeRecord {
  const { id, locale, question, similar, answer, updatedAt } = row;
  return { id, locale, question, similar, answer, updatedAt: new Date(updatedAt).toISOString() };
}

/** Versioned NLU model artifacts: a publish writes version N+1; every process loads the newest. */
export class ModelsRepo {
  constructor(private readonly db: Db) {}

  async save(shopId: string, artifact: unknown): Promise<number> {
    // Two publishes racing for the same version: the primary key refuses one, which retries.
    for (let attempt = 0; ; attempt++) {
      const current = await this.latestVersion(shopId);
      try {
        await this.db.insert(nluModels).values({ shopId, version: current + 1, artifact });
        return current + 1;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  }

  async latestVersion(shopId: string): Promise<number> {
    const [row] = await this.db
      .select({ version: nluModels.version })
      .from(nluModels)
      .where(eq(nluModels.shopId, shopId))
      .orderBy(desc(nluModels.version))
      .limit(1);
    return row?.version ?? 0;
  }

  async latest(shopId: string): Promise<{ version: number; artifact: unknown } | undefined> {
    const [row] = await this.db
      .select({ version: nluModels.version, artifact: nluModels.artifact })
      .from(nluModels)
      .where(eq(nluModels.shopId, shopId))
      .orderBy(desc(nluModels.version))
      .limit(1);
    return row;
  }
}

/** Artifacts shared across shops (see the nlu_artifact_cache table). */
export class ArtifactCacheRepo {
  constructor(private readonly db: Db) {}

  async get(key: string): Promise<unknown | undefined> {
    const [row] = await this.db
      .select({ artifact: nluArtifactCache.artifact })
      .from(nluArtifactCache)
      .where(eq(nluArtifactCache.key, key));
    return row?.artifact;
  }

  async put(key: string, artifact: unknown): Promise<void> {
    await this.db.insert(nluArtifactCache).values({ key, artifact }).onConflictDoNothing();
  }
}
