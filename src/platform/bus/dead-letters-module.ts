/**
 * The dead letters' admin routes as a module, so a deployable lists them like any other routes
 * (the commerce service serves them in the split; all-in-one serves everything).
 */
import type { ModuleFactory } from '../platform.js';
import { deadLetterRoutes } from './dead-letter-routes.js';
import { createDeadLetters } from './dead-letters.js';

export const deadLettersModule: ModuleFactory = (platform) => {
  const deadLetters = createDeadLetters({ db: platform.db, bus: platform.bus });
  return { name: 'dead-letters', routes: async (app) => app.register(deadLetterRoutes, { deadLetters }) };
};
