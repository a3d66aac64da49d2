/**
 * The path every module's routes are mounted under. Route handlers build their own URLs from
 * the prefix they were registered with (`app.prefix`); code outside a route (mail texts, links
 * built for another module, documents) takes it from here, never as a literal.
 */
export const API_PREFIX = '/api/v1';
