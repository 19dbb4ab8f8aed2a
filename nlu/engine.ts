import path from 'node:path';
import type { NluEngine, ShopTrainingData } from '../bot/nlu';
import type { IntentModelArtifact } from './classifier/intent-classifier';
import {
  type ShopModelArtifact,
  builtinIntentsKey,
  loadShopModel,
  trainBuiltinIntents,
  trainShopModel,
} from './shop-model';
import { runInWorker } from './training/run-in-worker';

/** Where trained artifacts shared by all shops are kept (the database, in production). */
export interface ArtifactCache {
  get(key: string): Promise<unknown | undefined>;
  put(key: string, artifact: unknown): Promise<void>;
}

const shopModelModule = path.join(__dirname, 'shop-model.ts');
/** The training tasks, by the name the worker looks them up under. */
const tasks = { trainShopModel, trainBuiltinIntents };

/**
 * The NLU the bot runs on. A shop's model is trained in a worker thread (the server keeps
 * answering) and loaded from its stored artifact; the built-in intent classifier, the same for
 * every shop, is trained once and cached. `npm run nlu:eval` trains with the same trainShopModel.
 */
export function createNluEngine(opts: { cache?: ArtifactCache; inWorker?: boolean } = {}): NluEngine {
  const inWorker = opts.inWorker ?? true;
  const run = <I, O>(
    exportName: keyof typeof tasks,
    input: I,
    onProgress?: (f: number) => void,
  ): Promise<O> =>
    inWorker
      ? runInWorker<I, O>(shopModelModule, exportName, input, onProgress)
      : (tasks[exportName] as (i: I, p?: (f: number) => void) => Promise<O>)(input, onProgress);
  let building: Promise<IntentModelArtifact> | undefined;

  /** The cached built-in classifier, trained at most once per process (and once per database). */
  function builtinIntents(onProgress?: (f: number) => void): Promise<IntentModelArtifact> {
    building ??= (async () => {
      const key = builtinIntentsKey();
      const cached = (await opts.cache?.get(key)) as IntentModelArtifact | undefined;
      if (cached) return cached;
      const trained = await run<null, IntentModelArtifact>('trainBuiltinIntents', null, onProgress);
      await opts.cache?.put(key, trained);
      return trained;
    })().catch((err: unknown) => {
      building = undefined;
      throw err;
    });
    return building;
  }

  return {
    async train(data: ShopTrainingData, onProgress) {
      const usesOnlyBuiltins = data.builtins !== false && !data.intents?.length && !data.dev?.length;
      if (!usesOnlyBuiltins)
        return run<ShopTrainingData, ShopModelArtifact>('trainShopModel', data, onProgress);
      const baseIntents = await builtinIntents((f) => onProgress?.(f * 0.8));
      if (data.knowledge.length === 0) return trainShopModel({ ...data, baseIntents });
      return run<ShopTrainingData & { baseIntents: IntentModelArtifact }, ShopModelArtifact>(
        'trainShopModel',
        { ...data, baseIntents },
        (f) => onProgress?.(0.8 + f * 0.2),
      );
    },
    load: loadShopModel,
  };
}
