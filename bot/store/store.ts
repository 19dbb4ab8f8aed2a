import type { Database } from './db';
import { ShopsRepo } from './shops.repo';
import { KnowledgeRepo, ModelsRepo } from './knowledge.repo';
import { ConversationsRepo } from './conversations.repo';
import { JobsRepo } from './jobs.repo';

/** The repositories over one database (PGlite or PostgreSQL: the same code serves both). */
export class Store {
  readonly shops: ShopsRepo;
  readonly knowledge: KnowledgeRepo;
  readonly models: ModelsRepo;
  readonly conversations: ConversationsRepo;
  readonly jobs: JobsRepo;

  constructor(readonly database: Database) {
    const { db } = database;
    this.shops = new ShopsRepo(db);
    this.knowledge = new KnowledgeRepo(db);
    this.models = new ModelsRepo(db);
    this.conversations = new ConversationsRepo(db);
    this.jobs = new JobsRepo(db);
  }
}
