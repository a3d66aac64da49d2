/** The audit trail's admin route as a module, so a deployable lists it like any other routes. */
import type { ModuleFactory } from '../platform.js';
import { auditRoutes } from './audit-routes.js';
import { createAuditTrail } from './audit-trail.js';

export const auditModule: ModuleFactory = (platform) => {
  const trail = createAuditTrail(platform.db);
  return { name: 'audit', routes: async (app) => app.register(auditRoutes, { trail }) };
};
