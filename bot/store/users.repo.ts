import { and, asc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Db } from './db';
import { shopUsers, userSessions } from './schema';
import { hashApiKey } from './shops.repo';
import { newId, newSecret } from '../ids';

export type UserRole = 'owner' | 'editor' | 'agent';

export interface ShopUser {
  id: string;
  shopId: string;
  email: string;
  name: string;
  role: UserRole;
  lastSignInAt: string | null;
  createdAt: string;
}

export interface UserSession {
  user: ShopUser;
  csrfToken: string;
  expiresAt: string;
}

/** Shop users of the merchant admin and their browser sessions. */
export class UsersRepo {
  constructor(private readonly db: Db) {}

  /** Undefined when the e-mail is taken (e-mails are unique across the platform). */
  async create(
    shopId: string,
    input: { email: string; name: string; role: UserRole; passwordHash: string },
  ): Promise<ShopUser | undefined> {
    const [row] = await this.db
      .insert(shopUsers)
      .values({ id: newId('u'), shopId, ...input, email: input.email.toLowerCase() })
      .onConflictDoNothing({ target: shopUsers.email })
      .returning();
    return row && toUser(row);
  }

  /** The user with their password hash, for sign-in only. */
  async findForSignIn(email: string): Promise<(ShopUser & { passwordHash: string }) | undefined> {
    const [row] = await this.db.select().from(shopUsers).where(eq(shopUsers.email, email.toLowerCase()));
    return row && { ...toUser(row), passwordHash: row.passwordHash };
  }

  async list(shopId: string): Promise<ShopUser[]> {
    const rows = await this.db
      .select()
      .from(shopUsers)
      .where(eq(shopUsers.shopId, shopId))
      .orderBy(asc(shopUsers.createdAt));
    return rows.map(toUser);
  }

  async count(shopId: string, role?: UserRole): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(shopUsers)
      .where(
        role ? and(eq(shopUsers.shopId, shopId), eq(shopUsers.role, role)) : eq(shopUsers.shopId, shopId),
      );
    return row?.n ?? 0;
  }

  /** Removes a user and, by the foreign key, every session they had. */
  async delete(shopId: string, id: string): Promise<boolean> {
    const rows = await this.db
      .delete(shopUsers)
      .where(and(eq(shopUsers.shopId, shopId), eq(shopUsers.id, id)))
      .returning({ id: shopUsers.id });
    return rows.length > 0;
  }

  /** A new session: the cookie value is returned once, only its SHA-256 is kept. */
  async createSession(
    user: ShopUser,
    ttlMs: number,
    now = new Date(),
  ): Promise<{ cookie: string; csrfToken: string }> {
    const cookie = newSecret('ses');
    const csrfToken = newSecret('csrf');
    await this.db.transaction(async (tx) => {
      await tx.insert(userSessions).values({
        idHash: hashApiKey(cookie),
        userId: user.id,
        shopId: user.shopId,
        csrfToken,
        expiresAt: new Date(now.getTime() + ttlMs),
      });
      await tx.update(shopUsers).set({ lastSignInAt: now }).where(eq(shopUsers.id, user.id));
      // Expired sessions are swept on sign-in rather than by a timer.
      await tx.delete(userSessions).where(lt(userSessions.expiresAt, now));
    });
    return { cookie, csrfToken };
  }

  async findSession(cookie: string, now = new Date()): Promise<UserSession | undefined> {
    const [row] = await this.db
      .select({ session: userSessions, user: shopUsers })
      .from(userSessions)
      .innerJoin(shopUsers, eq(shopUsers.id, userSessions.userId))
      .where(and(eq(userSessions.idHash, hashApiKey(cookie)), gt(userSessions.expiresAt, now)));
    return (
      row && {
        user: toUser(row.user),
        csrfToken: row.session.csrfToken,
        expiresAt: row.session.expiresAt.toISOString(),
      }
    );
  }

  async deleteSession(cookie: string): Promise<void> {
    await this.db.delete(userSessions).where(eq(userSessions.idHash, hashApiKey(cookie)));
  }
}

function toUser(row: typeof shopUsers.$inferSelect): ShopUser {
  return {
    id: row.id,
    shopId: row.shopId,
    email: row.email,
    name: row.name,
    role: row.role,
    lastSignInAt: row.lastSignInAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
