/**
 * Catalog use cases: products (create, replace, merge-patch, delete or archive, bulk import,
 * search) and the category tree. Every change and its events commit in one transaction; the
 * outbox relay publishes them after commit. Framework-free: callers pass plain values.
 */

import { Type } from '@fastify/type-provider-typebox';
import type { AuditActor } from '../../platform/audit/actor.js';
import type { Principal } from '../../platform/auth/access-tokens.js';
import type { OutboxRelay } from '../../platform/bus/outbox.js';
import type { Clock } from '../../platform/clock.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import { type FieldError, Forbidden, ValidationFailed } from '../../platform/http/errors.js';
import { assertIfMatch, entityTag } from '../../platform/http/etag.js';
import { CursorPart, decodeOptional, defineCursor, InvalidCursor } from '../../platform/http/pagination.js';
import { newId } from '../../platform/ids.js';
import { applyMergePatch, type ProductFields, productProblems, withDefaults } from './attributes.js';
import { CategoryCycle, CategoryInUse, CategoryNotFound, ProductNotFound, SkuTaken, SlugTaken } from './errors.js';
import { CatalogEvents } from './events.js';
import type { CatalogRepo, ListFilter } from './repo.js';
import { type Kind, Slug, type SortKey } from './schema.js';
import type { CategoryRow } from './tables.js';
import { type ProductRecord, type ProductWire, toProductWire } from './wire.js';

const sortTag = (sort: string) => Type.Union([Type.Literal(`${sort}:asc`), Type.Literal(`${sort}:desc`)]);

// The cursor names its sort, so a cursor cannot be replayed against another order, and its key
// is bounded like the column it is compared with (rank is a PostgreSQL real).
const productCursor = defineCursor(
  Type.Union([
    Type.Tuple([sortTag('relevance'), Type.Number({ minimum: 0, maximum: 1e6 }), CursorPart.uuid()]),
    Type.Tuple([sortTag('price'), Type.Integer({ minimum: 0, maximum: 2_147_483_647 }), CursorPart.uuid()]),
    Type.Tuple([sortTag('name'), CursorPart.text(200), CursorPart.uuid()]),
    Type.Tuple([sortTag('createdAt'), CursorPart.instant(), CursorPart.uuid()]),
  ]),
);
const categoryCursor = defineCursor(Type.Tuple([Slug]));

/** What the catalog needs from the files module to accept product images. */
export interface ProductImages {
  /** The ids among `fileIds` that are public images. */
  publicImages(fileIds: readonly string[]): Promise<{ fileId: string }[]>;
}

export interface CatalogServiceDeps {
  repo: CatalogRepo;
  relay: OutboxRelay;
  clock: Clock;
  /** Absent when the files module is not deployed with the catalog: image ids are then not checked. */
  images?: ProductImages;
}

export interface ProductListQuery {
  q?: string;
  kind?: Kind;
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
  status?: 'active' | 'archived';
  sort?: SortKey;
  order?: 'asc' | 'desc';
  limit: number;
  cursor?: string;
}

/** The most rows one import may carry. */
export const IMPORT_MAX_ROWS = 1000;

/** A foreign key failed: a category was deleted between our check and our write. */
const isForeignKeyViolation = (err: unknown) => {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.code === '23503') return true;
  }
  return false;
};

const invalid = (errors: FieldError[]) => {
  const first = errors[0];
  return ValidationFailed(first ? `${first.path} ${first.message}` : 'The request is invalid', { errors });
};

/** The writable fields of a stored product: what a merge patch is applied to. */
const toFields = (p: ProductRecord): ProductFields => ({
  sku: p.sku,
  kind: p.kind,
  name: p.name,
  description: p.description,
  priceCents: p.priceCents,
  currency: p.currency,
  stock: p.stock,
  status: p.status,
  categoryIds: p.categoryIds,
  imageIds: p.imageIds,
  attributes: p.attributes,
});

export function createCatalogService(deps: CatalogServiceDeps) {
  const { repo, clock, relay } = deps;

  /** Runs a change in one transaction and wakes the relay once it committed. */
  async function commit<T>(work: (tx: CatalogRepo) => Promise<T>): Promise<T> {
    const result = await repo.transaction(work);
    relay.kick();
    return result;
  }

  async function assertCategoriesExist(tx: CatalogRepo, rows: { categoryIds: string[]; prefix: string }[]) {
    const wanted = [...new Set(rows.flatMap((r) => r.categoryIds))];
    const found = new Set(await tx.existingCategoryIds(wanted));
    const errors = rows.flatMap((r) =>
      r.categoryIds.flatMap((id, i) => (found.has(id) ? [] : [{ path: `${r.prefix}/categoryIds/${i}`, message: 'no such category' }])),
    );
    if (errors.length) throw invalid(errors);
  }

  /** Every image id must name a public image file (checked before the transaction: it is another module's query). */
  async function assertPublicImages(rows: { imageIds: readonly string[]; prefix: string }[]) {
    const wanted = [...new Set(rows.flatMap((r) => r.imageIds))];
    if (!deps.images || !wanted.length) return;
    const found = new Set((await deps.images.publicImages(wanted)).map((i) => i.fileId));
    const errors = rows.flatMap((r) =>
      r.imageIds.flatMap((id, i) => (found.has(id) ? [] : [{ path: `${r.prefix}/imageIds/${i}`, message: 'is not a public image file' }])),
    );
    if (errors.length) throw invalid(errors);
  }

  const skuTaken = (sku: string) =>
    SkuTaken(`SKU '${sku}' belongs to another product`, { errors: [{ path: '/sku', message: 'is already used' }] });

  /** Validated fields of a full product document, or 400 listing every problem. */
  function validated(input: unknown): ProductFields {
    const errors = productProblems(input);
    if (errors.length) throw invalid(errors);
    return withDefaults(input as Record<string, unknown>);
  }

  const productTarget = (id: string) => ({ type: 'product', id });

  /** Rewrites a locked product; publishes archived when this change archives it, else updated. */
  async function rewrite(tx: CatalogRepo, current: ProductRecord, fields: ProductFields, actor: AuditActor): Promise<ProductRecord> {
    await assertCategoriesExist(tx, [{ categoryIds: fields.categoryIds, prefix: '' }]);
    let updated: ProductRecord | undefined;
    try {
      updated = await tx.updateProduct(current.id, fields, clock.now());
    } catch (err) {
      if (isUniqueViolation(err, 'products_sku_key')) throw skuTaken(fields.sku);
      if (isForeignKeyViolation(err)) throw invalid([{ path: '/categoryIds', message: 'a category was deleted meanwhile' }]);
      throw err;
    }
    if (!updated) throw ProductNotFound();
    const archived = current.status === 'active' && updated.status === 'archived';
    await tx.audit(actor, updated.updatedAt, [
      {
        action: archived ? 'catalog.product.archived' : 'catalog.product.updated',
        target: productTarget(current.id),
        before: toFields(current),
        after: toFields(updated),
      },
    ]);
    await tx.enqueueEvents([
      { type: archived ? CatalogEvents.productArchived : CatalogEvents.productUpdated, payload: { product: toProductWire(updated) } },
    ]);
    return updated;
  }

  async function lockForWrite(tx: CatalogRepo, id: string, ifMatch: string | undefined): Promise<ProductRecord> {
    // FOR UPDATE: the If-Match comparison and the write see the same version, whatever runs concurrently.
    const current = await tx.findProduct(id, { lock: true });
    if (!current) throw ProductNotFound();
    assertIfMatch(ifMatch, entityTag(current.id, current.version));
    return current;
  }

  return {
    async listProducts(query: ProductListQuery, who: Principal | null) {
      const status = query.status ?? 'active';
      if (status === 'archived' && who?.role !== 'admin') throw Forbidden('Only administrators can list archived products');
      const sort = query.sort ?? (query.q ? 'relevance' : 'createdAt');
      if (sort === 'relevance' && !query.q) {
        throw invalid([{ path: '/querystring/sort', message: 'relevance needs a search query q' }]);
      }
      if (query.minPrice !== undefined && query.maxPrice !== undefined && query.minPrice > query.maxPrice) {
        throw invalid([{ path: '/querystring/minPrice', message: 'must not be greater than maxPrice' }]);
      }
      const order = query.order ?? (sort === 'relevance' || sort === 'createdAt' ? 'desc' : 'asc');
      // The cursor names its sort, so a cursor cannot be replayed against another order.
      const tag = `${sort}:${order}`;
      let after: ListFilter['after'];
      const cursor = decodeOptional(productCursor, query.cursor);
      if (cursor) {
        const [cursorTag, key, id] = cursor;
        if (cursorTag !== tag) throw InvalidCursor('The cursor belongs to another sort order; start again without it');
        after = { key, id };
      }
      const rows = await repo.listProducts({ ...query, status, sort, order, after, limit: query.limit + 1 });
      const hasMore = rows.length > query.limit;
      const page = hasMore ? rows.slice(0, query.limit) : rows;
      const last = page[page.length - 1];
      const keyOf = (p: (typeof rows)[number]): string | number => {
        if (sort === 'relevance') return p.rank ?? 0;
        if (sort === 'price') return p.priceCents;
        if (sort === 'name') return p.name;
        return p.createdAt.toISOString();
      };
      return {
        items: page as ProductRecord[],
        nextCursor: hasMore && last ? productCursor.encode([tag, keyOf(last), last.id] as typeof cursor & {}) : null,
      };
    },

    async getProduct(id: string): Promise<ProductRecord> {
      const product = await repo.findProduct(id);
      if (!product) throw ProductNotFound();
      return product;
    },

    async getProductBySku(sku: string): Promise<ProductRecord> {
      const product = await repo.findProductBySku(sku);
      if (!product) throw ProductNotFound(`No product has SKU '${sku}'`);
      return product;
    },

    async createProduct(input: unknown, actor: AuditActor): Promise<ProductRecord> {
      const fields = validated(input);
      await assertPublicImages([{ imageIds: fields.imageIds, prefix: '' }]);
      return commit(async (tx) => {
        await assertCategoriesExist(tx, [{ categoryIds: fields.categoryIds, prefix: '' }]);
        let product: ProductRecord;
        try {
          [product] = (await tx.insertProducts([{ ...fields, id: newId(), now: clock.now() }])) as [ProductRecord];
        } catch (err) {
          if (isUniqueViolation(err, 'products_sku_key')) throw skuTaken(fields.sku);
          if (isForeignKeyViolation(err)) throw invalid([{ path: '/categoryIds', message: 'a category was deleted meanwhile' }]);
          throw err;
        }
        await tx.audit(actor, product.createdAt, [
          { action: 'catalog.product.created', target: productTarget(product.id), after: toFields(product) },
        ]);
        await tx.enqueueEvents([{ type: CatalogEvents.productCreated, payload: { product: toProductWire(product) } }]);
        return product;
      });
    },

    /** PUT: the whole document replaces the product (missing optional members take their defaults). */
    async replaceProduct(id: string, input: unknown, ifMatch: string | undefined, actor: AuditActor): Promise<ProductRecord> {
      const fields = validated(input);
      await assertPublicImages([{ imageIds: fields.imageIds, prefix: '' }]);
      return commit(async (tx) => rewrite(tx, await lockForWrite(tx, id, ifMatch), fields, actor));
    },

    /** PATCH: RFC 7396 merge patch over the writable document, then the same validation as PUT. */
    async patchProduct(id: string, patch: Record<string, unknown>, ifMatch: string | undefined, actor: AuditActor): Promise<ProductRecord> {
      // Only a patch that sets imageIds can add an image; a well-formed list is checked now, the rest by validated() below.
      if (Array.isArray(patch.imageIds) && patch.imageIds.every((x) => typeof x === 'string')) {
        await assertPublicImages([{ imageIds: patch.imageIds as string[], prefix: '' }]);
      }
      return commit(async (tx) => {
        const current = await lockForWrite(tx, id, ifMatch);
        const merged = applyMergePatch(toFields(current), patch);
        return rewrite(tx, current, validated(merged), actor);
      });
    },

    /**
     * DELETE: a product an order references (it was ever reserved through the stock contract)
     * is archived and kept, so order history stays readable; any other product is deleted.
     */
    async deleteProduct(
      id: string,
      ifMatch: string | undefined,
      actor: AuditActor,
    ): Promise<{ outcome: 'deleted' } | { outcome: 'archived'; product: ProductRecord }> {
      return commit(async (tx) => {
        const current = await lockForWrite(tx, id, ifMatch);
        if (await tx.isReferencedByOrders(id)) {
          if (current.status === 'archived') return { outcome: 'archived' as const, product: current };
          const product = await rewrite(tx, current, { ...toFields(current), status: 'archived' }, actor);
          return { outcome: 'archived' as const, product };
        }
        await tx.deleteProduct(id);
        await tx.audit(actor, clock.now(), [{ action: 'catalog.product.deleted', target: productTarget(id), before: toFields(current) }]);
        await tx.enqueueEvents([{ type: CatalogEvents.productDeleted, payload: { productId: id, sku: current.sku } }]);
        return { outcome: 'deleted' as const };
      });
    },

    /** Creates every row or none. Errors of all rows are reported at once, paths prefixed by the row index. */
    async importProducts(rows: unknown[], actor: AuditActor): Promise<ProductRecord[]> {
      const errors: FieldError[] = [];
      const fields: ProductFields[] = [];
      const firstRowOfSku = new Map<string, number>();
      rows.forEach((row, i) => {
        const problems = productProblems(row, `/${i}`);
        if (problems.length) {
          errors.push(...problems);
          return;
        }
        const f = withDefaults(row as Record<string, unknown>);
        const seen = firstRowOfSku.get(f.sku);
        if (seen !== undefined) errors.push({ path: `/${i}/sku`, message: `repeats the SKU of row ${seen}` });
        else firstRowOfSku.set(f.sku, i);
        fields.push(f);
      });
      if (errors.length) throw invalid(errors);
      await assertPublicImages(fields.map((f, i) => ({ imageIds: f.imageIds, prefix: `/${i}` })));
      const created = await commit(async (tx) => {
        const taken = new Set(await tx.existingSkus(fields.map((f) => f.sku)));
        const skuErrors = fields.flatMap((f, i) => (taken.has(f.sku) ? [{ path: `/${i}/sku`, message: 'is already used' }] : []));
        if (skuErrors.length) throw invalid(skuErrors);
        await assertCategoriesExist(
          tx,
          fields.map((f, i) => ({ categoryIds: f.categoryIds, prefix: `/${i}` })),
        );
        const now = clock.now();
        let inserted: ProductRecord[];
        try {
          inserted = await tx.insertProducts(fields.map((f) => ({ ...f, id: newId(), now })));
        } catch (err) {
          // A concurrent writer took a SKU after the check above.
          if (isUniqueViolation(err, 'products_sku_key')) throw SkuTaken('A SKU of this import was taken meanwhile; nothing was imported');
          if (isForeignKeyViolation(err)) throw invalid([{ path: '/', message: 'a category was deleted meanwhile; nothing was imported' }]);
          throw err;
        }
        await tx.audit(
          actor,
          now,
          inserted.map((p) => ({ action: 'catalog.product.imported', target: productTarget(p.id), after: toFields(p) })),
        );
        await tx.enqueueEvents(inserted.map((p) => ({ type: CatalogEvents.productCreated, payload: { product: toProductWire(p) } })));
        return inserted;
      });
      return created;
    },

    // --- categories ---

    async listCategories(query: { parent?: string; limit: number; cursor?: string }) {
      let parentId: string | undefined;
      if (query.parent) {
        const parent = await repo.findCategory(query.parent);
        if (!parent) throw CategoryNotFound(`No category '${query.parent}'`);
        parentId = parent.id;
      }
      const afterSlug = decodeOptional(categoryCursor, query.cursor)?.[0];
      const rows = await repo.listCategories({ parentId, afterSlug, limit: query.limit + 1 });
      const hasMore = rows.length > query.limit;
      const page = hasMore ? rows.slice(0, query.limit) : rows;
      const last = page[page.length - 1];
      return { items: page, nextCursor: hasMore && last ? categoryCursor.encode([last.slug]) : null };
    },

    async getCategory(ref: string): Promise<CategoryRow> {
      const category = await repo.findCategory(ref);
      if (!category) throw CategoryNotFound(`No category '${ref}'`);
      return category;
    },

    async createCategory(input: { slug: string; name: string; parentId?: string | null }): Promise<CategoryRow> {
      return commit(async (tx) => {
        if (input.parentId && !(await tx.findCategory(input.parentId))) {
          throw invalid([{ path: '/parentId', message: 'no such category' }]);
        }
        const now = clock.now();
        try {
          return await tx.insertCategory({
            id: newId(),
            slug: input.slug,
            name: input.name.trim(),
            parentId: input.parentId ?? null,
            createdAt: now,
            updatedAt: now,
          });
        } catch (err) {
          if (isUniqueViolation(err, 'categories_slug_key')) throw SlugTaken(`Slug '${input.slug}' is used by another category`);
          if (isForeignKeyViolation(err)) throw invalid([{ path: '/parentId', message: 'no such category' }]);
          throw err;
        }
      });
    },

    async updateCategory(
      id: string,
      patch: { slug?: string; name?: string; parentId?: string | null },
      ifMatch: string | undefined,
    ): Promise<CategoryRow> {
      return commit(async (tx) => {
        if (patch.parentId) await tx.lockCategoryTree();
        const current = await tx.findCategory(id, { lock: true });
        if (!current) throw CategoryNotFound();
        assertIfMatch(ifMatch, entityTag(current.id, current.version));
        if (patch.parentId) {
          if (!(await tx.findCategory(patch.parentId))) throw invalid([{ path: '/parentId', message: 'no such category' }]);
          if (await tx.isInSubtree(patch.parentId, id)) throw CategoryCycle('The new parent lies inside this category');
        }
        try {
          const updated = await tx.updateCategory(
            id,
            { slug: patch.slug, name: patch.name?.trim(), ...(patch.parentId !== undefined ? { parentId: patch.parentId } : {}) },
            clock.now(),
          );
          if (!updated) throw CategoryNotFound();
          return updated;
        } catch (err) {
          if (isUniqueViolation(err, 'categories_slug_key')) throw SlugTaken(`Slug '${patch.slug}' is used by another category`);
          throw err;
        }
      });
    },

    /** Deletes an unused category; one with subcategories or products is refused with 409. */
    async deleteCategory(id: string, ifMatch: string | undefined): Promise<void> {
      await commit(async (tx) => {
        await tx.lockCategoryTree();
        const current = await tx.findCategory(id, { lock: true });
        if (!current) throw CategoryNotFound();
        assertIfMatch(ifMatch, entityTag(current.id, current.version));
        const usage = await tx.categoryUsage(id);
        if (usage.children || usage.products) {
          throw CategoryInUse(`The category has ${usage.children} subcategories and ${usage.products} products; move them first`, usage);
        }
        await tx.deleteCategory(id);
      });
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
export type { ProductWire };
