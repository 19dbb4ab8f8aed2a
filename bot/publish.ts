import { type EventBus, topics } from './events';
import type { JobRunner } from './jobs/runner';
import type { ModelRegistry } from './models';
import type { NluEngine } from './nlu';
import type { Store } from './store/store';

export const PUBLISH_JOB = 'publish';

/**
 * `publish`: train the shop's NLU on its current knowledge and store the model as a new version.
 * Whichever instance trains, every instance drops its cached model on `model.published` (and on
 * `knowledge.changed`); resolves once those subscriptions are active.
 */
export async function registerPublishJob(deps: {
  jobs: JobRunner;
  store: Store;
  engine: NluEngine;
  models: ModelRegistry;
  events: EventBus;
}): Promise<void> {
  const invalidate = (event: unknown) => {
    const shopId = (event as { shopId?: unknown }).shopId;
    if (typeof shopId === 'string') deps.models.invalidate(shopId);
  };
  await Promise.all([
    deps.events.subscribe(topics.modelPublished, invalidate),
    deps.events.subscribe(topics.knowledgeChanged, invalidate),
  ]);
  deps.jobs.register(PUBLISH_JOB, async (job, progress) => {
    const shop = await deps.store.shops.findById(job.shopId);
    if (!shop) throw new Error('shop no longer exists');
    const knowledge = await deps.store.knowledge.list(job.shopId);
    const artifact = await deps.engine.train({ shopId: shop.id, locales: shop.locales, knowledge }, (p) => {
      void progress(p * 0.9);
    });
    const version = await deps.store.models.save(job.shopId, artifact);
    deps.models.invalidate(job.shopId);
    await deps.events.publish(topics.modelPublished, { shopId: job.shopId, version });
  });
}
