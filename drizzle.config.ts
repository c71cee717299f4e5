import { defineConfig } from 'drizzle-kit';
import { databaseUrl, parseConfig } from './common/config.js';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './db/migrations',
  dbCredentials: { url: databaseUrl(parseConfig()) },
});
