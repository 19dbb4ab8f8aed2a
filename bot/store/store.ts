import type { Database } from './db';
import { ShopsRepo } from './shops.repo';
import { ArtifactCacheRepo, KnowledgeRepo, ModelsRepo } from './knowledge.repo';
import { ConversationsRepo } from './conversations.repo';
import { JobsRepo } from './jobs.repo';
import { HandoffsRepo } from './handoffs.repo';
import { AgentsRepo } from './agents.repo';
import { DraftsRepo, TicketsRepo } from './assist.repo';
import { UsersRepo } from './users.repo';
import { AnalyticsRepo } from './analytics.repo';

/** The repositories over one database (PGlite or PostgreSQL: the same code serves both). */
export class Store {
  readonly shops: ShopsRepo;
  readonly knowledge: KnowledgeRepo;
  readonly models: ModelsRepo;
  readonly artifacts: ArtifactCacheRepo;
  readonly conversations: ConversationsRepo;
  readonly jobs: JobsRepo;
  readonly handoffs: HandoffsRepo;
  readonly agents: AgentsRepo;
  readonly drafts: DraftsRepo;
  readonly tickets: TicketsRepo;
  readonly users: UsersRepo;
  readonly analytics: AnalyticsRepo;

  constructor(readonly database: Database) {
    const { db } = database;
    this.shops = new ShopsRepo(db);
    this.knowledge = new KnowledgeRepo(db);
    this.models = new ModelsRepo(db);
    this.artifacts = new ArtifactCacheRepo(db);
    // Embedded: this process alone writes the database, so it may remember open conversations.
    this.conversations = new ConversationsRepo(db, { rememberOpen: database.kind === 'pglite' });
    this.jobs = new JobsRepo(db);
    this.handoffs = new HandoffsRepo(db);
    this.agents = new AgentsRepo(db);
    this.drafts = new DraftsRepo(db);
    this.tickets = new TicketsRepo(db);
    this.users = new UsersRepo(db);
    this.analytics = new AnalyticsRepo(db);
  }
}
