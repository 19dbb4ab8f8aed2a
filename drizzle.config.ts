import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './bot/store/schema.ts',
  out: './bot/store/migrations',
});
