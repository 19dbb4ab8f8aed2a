import { and, asc, count, eq, max } from 'drizzle-orm';
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

  async delete(shopId: string, id: string): Promise<boolean> {
    const deleted = await this.db
      .delete(knowledgeEntries)
      .where(and(eq(knowledgeEntries.shopId, shopId), eq(knowledgeEntries.id, id)))
      .returning({ id: knowledgeEntries.id });
    return deleted.length > 0;
  }
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
