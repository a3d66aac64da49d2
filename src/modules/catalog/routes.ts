/** HTTP routes of the catalog: validate -> service -> wire shape, with ETags and cache headers. */

import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../../platform/audit/actor.js';
import { entityTag } from '../../platform/http/etag.js';
import { IfMatchHeader, NoContent, NotModified, problem, sendTagged } from '../../platform/http/route-helpers.js';
import * as S from './schema.js';
import type { CatalogService } from './service.js';
import { type ProductRecord, toCategoryWire, toProductWire } from './wire.js';

export interface CatalogRoutesOptions {
  catalog: CatalogService;
  /** The public URL of an image file, for `imageUrls` in product responses. */
  imageUrl: (fileId: string) => string;
  /** Cache-Control max-age of public catalog reads, in seconds. */
  maxAgeSeconds: number;
}

export const catalogRoutes: FastifyPluginAsyncTypebox<CatalogRoutesOptions> = async (app, { catalog, maxAgeSeconds, imageUrl }) => {
  const productWire = (p: ProductRecord) => ({ ...toProductWire(p), imageUrls: p.imageIds.map(imageUrl) });
  app.addSchema(S.Product);
  app.addSchema(S.ProductInput);
  app.addSchema(S.Category);
  // RFC 7396 bodies are JSON; only this plugin's routes accept the media type.
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  const publicCache = `public, max-age=${maxAgeSeconds}`;
  const tags = ['catalog'];

  /** Sends one resource with its ETag and cache policy, or 304 when the client's copy is current. */
  function sendCached<T>(request: FastifyRequest, reply: FastifyReply, id: string, version: number, body: T, cache: string) {
    reply.header('cache-control', cache);
    return sendTagged(request, reply, entityTag(id, version), body);
  }

  app.get(
    '/products',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Search and filter products (active ones; admins may ask for archived)',
        querystring: S.ListQuery,
        response: { 200: S.ProductList, 403: problem('FORBIDDEN: only administrators list archived products') },
      },
    },
    async (request, reply) => {
      const page = await catalog.listProducts(request.query, request.user);
      reply.header('cache-control', request.query.status === 'archived' ? 'private, no-store' : publicCache);
      return { items: page.items.map(productWire), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/products/:id',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'One product (ETag; If-None-Match -> 304)',
        params: S.IdParams,
        response: { 200: S.Product, 304: NotModified },
      },
    },
    async (request, reply) => {
      const p = await catalog.getProduct(request.params.id);
      return sendCached(request, reply, p.id, p.version, productWire(p), publicCache);
    },
  );

  app.get(
    '/products/by-sku/:sku',
    {
      config: { access: 'public' },
      schema: { tags, summary: 'One product by SKU', params: S.SkuParams, response: { 200: S.Product, 304: NotModified } },
    },
    async (request, reply) => {
      const p = await catalog.getProductBySku(request.params.sku);
      return sendCached(request, reply, p.id, p.version, productWire(p), publicCache);
    },
  );

  const admin = { access: 'admin' as const };
  const adminTags = ['catalog-admin'];

  app.post(
    '/products',
    {
      config: admin,
      schema: {
        tags: adminTags,
        summary: 'Create a product',
        body: Type.Ref('ProductInput'),
        response: { 201: S.Product, 409: problem('SKU already used') },
      },
    },
    async (request, reply) => {
      const p = await catalog.createProduct(request.body, actorOf(request));
      reply.header('location', `${app.prefix}/products/${p.id}`).header('etag', entityTag(p.id, p.version));
      return reply.code(201).send(productWire(p));
    },
  );

  app.put(
    '/products/:id',
    {
      config: admin,
      schema: {
        tags: adminTags,
        summary: 'Replace a product (If-Match for optimistic concurrency)',
        params: S.IdParams,
        headers: IfMatchHeader,
        body: Type.Ref('ProductInput'),
        response: { 200: S.Product, 409: problem('SKU used by another product'), 412: problem('If-Match is stale') },
      },
    },
    async (request, reply) => {
      const p = await catalog.replaceProduct(request.params.id, request.body, request.headers['if-match'], actorOf(request));
      reply.header('etag', entityTag(p.id, p.version));
      return productWire(p);
    },
  );

  app.patch(
    '/products/:id',
    {
      config: admin,
      schema: {
        tags: adminTags,
        summary: 'Change some fields (JSON merge patch; If-Match for optimistic concurrency)',
        params: S.IdParams,
        headers: IfMatchHeader,
        body: S.ProductPatch,
        response: { 200: S.Product, 409: problem('SKU used by another product'), 412: problem('If-Match is stale') },
      },
    },
    async (request, reply) => {
      const p = await catalog.patchProduct(request.params.id, request.body, request.headers['if-match'], actorOf(request));
      reply.header('etag', entityTag(p.id, p.version));
      return productWire(p);
    },
  );

  app.delete(
    '/products/:id',
    {
      config: admin,
      schema: {
        tags: adminTags,
        summary: 'Delete a product; one that orders reference is archived instead (200 with the product)',
        params: S.IdParams,
        headers: IfMatchHeader,
        response: { 200: S.Product, 204: NoContent, 412: problem('If-Match is stale') },
      },
    },
    async (request, reply) => {
      const result = await catalog.deleteProduct(request.params.id, request.headers['if-match'], actorOf(request));
      if (result.outcome === 'deleted') return reply.code(204).send(null);
      reply.header('etag', entityTag(result.product.id, result.product.version));
      return productWire(result.product);
    },
  );

  app.post(
    '/products/import',
    {
      config: admin,
      // 1000 rows of a few hundred bytes each do not fit the global JSON limit.
      bodyLimit: 8 * 1024 * 1024,
      schema: {
        tags: adminTags,
        summary: 'Create up to 1000 products at once, all or none; errors[] paths start with the row index',
        body: S.ImportBody,
        response: { 201: S.ImportResult, 409: problem('A SKU is already used') },
      },
    },
    async (request, reply) => {
      const created = await catalog.importProducts(request.body, actorOf(request));
      return reply.code(201).send({ created: created.length, items: created.map((p) => ({ id: p.id, sku: p.sku })) });
    },
  );

  const categoryTags = ['categories'];

  app.get(
    '/categories',
    {
      config: { access: 'public' },
      schema: {
        tags: categoryTags,
        summary: 'Categories in slug order',
        querystring: S.CategoryListQuery,
        response: { 200: S.CategoryList, 404: problem('CATEGORY_NOT_FOUND: no category with the slug in parent') },
      },
    },
    async (request, reply) => {
      const page = await catalog.listCategories(request.query);
      reply.header('cache-control', publicCache);
      return { items: page.items.map(toCategoryWire), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/categories/:id',
    {
      config: { access: 'public' },
      schema: {
        tags: categoryTags,
        summary: 'One category by id or slug',
        params: S.CategoryRefParams,
        response: { 200: S.Category, 304: NotModified },
      },
    },
    async (request, reply) => {
      const c = await catalog.getCategory(request.params.id);
      return sendCached(request, reply, c.id, c.version, toCategoryWire(c), publicCache);
    },
  );

  app.post(
    '/categories',
    {
      config: admin,
      schema: {
        tags: categoryTags,
        summary: 'Create a category',
        body: S.CategoryInput,
        response: { 201: S.Category, 409: problem('Slug used') },
      },
    },
    async (request, reply) => {
      const c = await catalog.createCategory(request.body);
      reply.header('location', `${app.prefix}/categories/${c.id}`).header('etag', entityTag(c.id, c.version));
      return reply.code(201).send(toCategoryWire(c));
    },
  );

  app.patch(
    '/categories/:id',
    {
      config: admin,
      schema: {
        tags: categoryTags,
        summary: 'Rename, re-slug or move a category (parentId null makes it a root)',
        params: S.IdParams,
        headers: IfMatchHeader,
        body: S.CategoryPatch,
        response: {
          200: S.Category,
          409: problem('Slug used by another category'),
          412: problem('If-Match is stale'),
          422: problem('Would create a cycle'),
        },
      },
    },
    async (request, reply) => {
      const c = await catalog.updateCategory(request.params.id, request.body, request.headers['if-match']);
      reply.header('etag', entityTag(c.id, c.version));
      return toCategoryWire(c);
    },
  );

  app.delete(
    '/categories/:id',
    {
      config: admin,
      schema: {
        tags: categoryTags,
        summary: 'Delete a category without subcategories or products',
        params: S.IdParams,
        headers: IfMatchHeader,
        response: { 204: NoContent, 409: problem('Still has subcategories or products'), 412: problem('If-Match is stale') },
      },
    },
    async (request, reply) => {
      await catalog.deleteCategory(request.params.id, request.headers['if-match']);
      return reply.code(204).send(null);
    },
  );
};
