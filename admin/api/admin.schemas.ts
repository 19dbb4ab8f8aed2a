import { z } from 'zod';
import { localeSchema } from '../../bot/activity';
import { firstOwnerSchema } from './auth.schemas';

/** Request bodies of the merchant API: the routes validate with them, the OpenAPI document is built from them. */
export const createShopSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    locales: z.array(localeSchema).min(1).max(10).default(['zh-CN', 'en-US']),
    /** The first person who signs in to the shop's admin (more are added by them). */
    owner: firstOwnerSchema.optional(),
  })
  .strict();

const entryId = z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'letters, digits and _ . : - (up to 100)');
export const knowledgeSchema = z
  .object({
    entries: z
      .array(
        z
          .object({
            id: entryId.optional(),
            locale: localeSchema,
            question: z.string().trim().min(1).max(500),
            similar: z.array(z.string().trim().min(1).max(500)).max(100).default([]),
            answer: z.string().trim().min(1).max(5000),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
  })
  .strict();
