import { z } from 'zod';
import { PASSWORD_RULES } from '../../bot/auth/password';

const email = z.string().trim().toLowerCase().email().max(254);

export const signInSchema = z.object({ email, password: z.string().min(1).max(PASSWORD_RULES.max) }).strict();

export const newUserSchema = z
  .object({
    email,
    name: z.string().trim().max(100).default(''),
    role: z.enum(['owner', 'editor', 'agent']),
    password: z
      .string()
      .min(PASSWORD_RULES.min, `at least ${PASSWORD_RULES.min} characters`)
      .max(PASSWORD_RULES.max),
  })
  .strict();

/** The first owner the operator creates with a shop. */
export const firstOwnerSchema = newUserSchema.omit({ role: true });

const userShape = z.object({
  id: z.string(),
  shopId: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(['owner', 'editor', 'agent']),
  lastSignInAt: z.string().nullable(),
  createdAt: z.string(),
});

export const sessionResponseSchema = z.object({ user: userShape, csrfToken: z.string() });
export const usersResponseSchema = z.object({ users: z.array(userShape) });
export { userShape as userResponseSchema };
