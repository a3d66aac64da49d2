import { defineConfig } from 'drizzle-kit';

// Every module's tables.ts (and the platform's) is part of the one migration history.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/platform/**/tables.ts', './src/modules/*/tables.ts'],
  out: './drizzle',
});
