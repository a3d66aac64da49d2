/** SQL of the catalog module. Plain objects out; every function runs on the database or a transaction. */
import { and, asc, count, desc, eq, gt, gte, inArray, isNull, lte, type SQL, sql } from 'drizzle-orm';
import type { AuditActor } from '../../platform/audit/actor.js';
import { type AuditEntry, recordAudit } from '../../platform/audit/audit.js';
import { enqueueEvents, type OutgoingEvent } from '../../platform/bus/outbox.js';
import type { EventPayloads } from '../../platform/bus/typed-events.js';
import { anyUuid } from '../../platform/db/any-of.js';
import { type Executor, rowsOf } from '../../platform/db/database.js';
import { prepareStatement } from '../../platform/db/prepared-statement.js';
import { isUuid } from '../../platform/ids.js';
import type { ProductFields } from './attributes.js';
import type { CatalogEventType } from './events.js';
import type { Kind, SortKey } from './schema.js';
import {
  type CategoryRow,
  categories,
  productCategories,
  products,
  SEARCH_CONFIG,
  stockReservationLines,
  stockReservations,
} from './tables.js';
import type { ProductRecord } from './wire.js';

const searchConfig = sql.raw(`'${SEARCH_CONFIG}'`);

/** The columns every product read returns: no tsvector, categories folded in (one round trip). */
const productColumns = {
  id: products.id,
  sku: products.sku,
  kind: products.kind,
  name: products.name,
  description: products.description,
  priceCents: products.priceCents,
  currency: products.currency,
  stock: products.stock,
  status: products.status,
  attributes: products.attributes,
  imageIds: products.imageIds,
  createdAt: products.createdAt,
  updatedAt: products.updatedAt,
  version: products.version,
  categoryIds: sql<
    string[]
  >`array(select pc.category_id from catalog.product_categories pc where pc.product_id = products.id order by pc.category_id)::text[]`,
};

/** What pricing and reserving an order line needs: no categories, attributes or text. */
const orderColumns = {
  id: products.id,
  sku: products.sku,
  name: products.name,
  priceCents: products.priceCents,
  currency: products.currency,
  stock: products.stock,
  status: products.status,
  version: products.version,
};

/** A row of `orderColumns`: the statement below names each result column after its key. */
type ProductForOrderRow = { [K in keyof typeof orderColumns]: (typeof orderColumns)[K]['_']['data'] };

const p = sql.placeholder;

/**
 * The checkout's two catalog statements run inside the shop's transaction on every order, so
 * they are prepared once (named: PostgreSQL parses and plans them once per connection), on
 * whatever executor the call brings. See lockForOrder and writeReservation.
 */
const lockForOrderStatement = prepareStatement(
  'catalog_lock_for_order',
  sql`
    select ${sql.join(
      Object.entries(orderColumns).map(([name, column]) => sql`${column} as ${sql.identifier(name)}`),
      sql`, `,
    )}
    from ${products} where ${anyUuid(products.id, p('ids'))} order by ${products.id} for update`,
);

const writeReservationStatement = prepareStatement(
  'catalog_write_reservation',
  sql`
    with reservation as (
      insert into ${stockReservations} (order_id, created_at) values (${p('orderId')}, ${p('at')}::timestamptz)
      on conflict do nothing returning order_id
    ), wanted as (
      select * from unnest(${p('productIds')}::uuid[], ${p('quantities')}::int[]) as w(product_id, quantity)
    ), reserved_lines as (
      insert into ${stockReservationLines} (order_id, product_id, quantity)
      select reservation.order_id, wanted.product_id, wanted.quantity from reservation, wanted
    ), taken as (
      update ${products} set stock = stock - wanted.quantity, version = version + 1, updated_at = ${p('at')}::timestamptz
      from wanted, reservation
      where ${products.id} = wanted.product_id and ${products.status} = 'active' and ${products.stock} >= wanted.quantity
      returning ${products.id}
    )
    select (select count(*) from reservation)::int as created, (select count(*) from taken)::int as taken`,
);

export interface ListFilter {
  q?: string;
  kind?: Kind;
  /** Slug or id; includes every descendant category. */
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
  status: 'active' | 'archived';
  sort: SortKey;
  order: 'asc' | 'desc';
  /** Sort key and id of the last row of the previous page. */
  after?: { key: string | number; id: string };
  limit: number;
}

export type ListedProduct = ProductRecord & { rank: number | null };

/** The catalog repository over `db`, with `transaction` to run several calls atomically. */
export type CatalogRepo = ReturnType<typeof queries> & {
  /** Runs `work` in one transaction; every query inside must use the repo it is given. */
  transaction<T>(work: (repo: CatalogRepo) => Promise<T>): Promise<T>;
};

export function createCatalogRepo(db: Executor): CatalogRepo {
  return createRepo(db, true);
}

/** The catalog's queries on a transaction someone else opened (a contract call that takes the caller's transaction). */
export function catalogRepoIn(tx: Executor): CatalogRepo {
  return createRepo(tx, false);
}

function createRepo(db: Executor, root: boolean): CatalogRepo {
  const base = queries(db);
  if (!root) return { ...base, transaction: () => Promise.reject(new Error('catalog: nested transactions are not used')) };
  // The hot public reads are prepared once: building drizzle SQL per request cost a third of
  // the CPU of GET /products/:id, and PostgreSQL skips parsing and planning on each connection.
  const byId = db
    .select(productColumns)
    .from(products)
    .where(eq(products.id, sql.placeholder('id')))
    .prepare('catalog_product_by_id');
  const bySku = db
    .select(productColumns)
    .from(products)
    .where(eq(products.sku, sql.placeholder('sku')))
    .prepare('catalog_product_by_sku');
  // Every PUT /cart/items prices the cart with it.
  const forOrder = db
    .select(orderColumns)
    .from(products)
    .where(anyUuid(products.id, sql.placeholder('ids')))
    .prepare('catalog_products_for_order');
  return {
    ...base,
    async findProduct(id, options = {}) {
      if (options.lock) return base.findProduct(id, options);
      const [row] = await byId.execute({ id });
      return row;
    },
    async findProductBySku(sku) {
      const [row] = await bySku.execute({ sku });
      return row;
    },
    findProductsForOrder: async (ids) => (ids.length === 0 ? [] : forOrder.execute({ ids })),
    transaction: (work) => db.transaction((tx) => work(createRepo(tx, false))),
  };
}

/** The subtree of a category (itself and every descendant), as a subquery of ids. */
const subtreeIds = (ref: string, value: unknown = ref) => sql`(
  with recursive sub(id) as (
    select id from catalog.categories where ${isUuid(ref) ? sql`id = ${value}::uuid` : sql`slug = ${value}::text`}
    union all
    select c.id from catalog.categories c join sub on c.parent_id = sub.id
  ) select id from sub)`;

function queries(db: Executor) {
  const listStatements = new Map<string, ReturnType<ReturnType<typeof buildList>['prepare']>>();

  /** The list statement for the shape of `f`, with placeholders for every value. */
  function buildList(f: ListFilter) {
    const p = sql.placeholder;
    const tsquery = f.q ? sql`websearch_to_tsquery(${searchConfig}, ${p('q')})` : undefined;
    const rank = tsquery ? sql<number>`ts_rank(${products.search}, ${tsquery})` : sql<null>`null::real`;
    const where: (SQL | undefined)[] = [eq(products.status, p('status'))];
    if (tsquery) where.push(sql`${products.search} @@ ${tsquery}`);
    if (f.kind) where.push(eq(products.kind, p('kind')));
    if (f.minPrice !== undefined) where.push(gte(products.priceCents, p('minPrice')));
    if (f.maxPrice !== undefined) where.push(lte(products.priceCents, p('maxPrice')));
    // Literals, not parameters, so the planner can use the partial index products_in_stock_idx.
    if (f.inStock === true) where.push(sql`${products.stock} > 0`);
    if (f.inStock === false) where.push(sql`${products.stock} = 0`);
    if (f.category) {
      where.push(
        sql`exists (select 1 from catalog.product_categories pc where pc.product_id = products.id and pc.category_id in ${subtreeIds(f.category, p('category'))})`,
      );
    }
    const [key, cast] = {
      relevance: [rank, 'real'],
      price: [products.priceCents, 'integer'],
      name: [products.name, 'text'],
      createdAt: [products.createdAt, 'timestamptz'],
    }[f.sort] as [SQL | typeof products.name, string];
    if (f.after) {
      // Row comparison: (key, id) strictly after the last row seen, the same order the index has.
      const op = sql.raw(f.order === 'asc' ? '>' : '<');
      where.push(sql`(${key}, ${products.id}) ${op} (${p('afterKey')}::${sql.raw(cast)}, ${p('afterId')}::uuid)`);
    }
    const dir = f.order === 'asc' ? asc : desc;
    return db
      .select({ ...productColumns, rank })
      .from(products)
      .where(and(...where))
      .orderBy(dir(key), dir(products.id))
      .limit(p('limit'));
  }

  async function selectProducts(where: SQL | undefined, lock = false): Promise<ProductRecord[]> {
    const query = db.select(productColumns).from(products).where(where);
    return lock ? query.for('update') : query;
  }

  async function replaceCategories(productId: string, categoryIds: string[]) {
    await db.delete(productCategories).where(eq(productCategories.productId, productId));
    if (categoryIds.length) await db.insert(productCategories).values(categoryIds.map((categoryId) => ({ productId, categoryId })));
  }

  return {
    /** Writes events into the outbox of the current transaction. */
    enqueueEvents: (events: OutgoingEvent<Pick<EventPayloads, CatalogEventType>>[]) => enqueueEvents(db, events),
    /** Writes an admin's change to the audit trail of the current transaction. */
    audit: (actor: AuditActor, at: Date, entries: AuditEntry[]) => recordAudit(db, actor, at, entries),

    async findProduct(id: string, options: { lock?: boolean } = {}): Promise<ProductRecord | undefined> {
      const [row] = await selectProducts(eq(products.id, id), options.lock);
      return row;
    },

    async findProductBySku(sku: string): Promise<ProductRecord | undefined> {
      const [row] = await selectProducts(eq(products.sku, sku));
      return row;
    },

    async findProductsByIds(ids: string[]): Promise<ProductRecord[]> {
      if (ids.length === 0) return [];
      return selectProducts(inArray(products.id, ids));
    },

    /** Only what pricing an order needs: no categories, attributes or text (the shop's hot path). */
    async findProductsForOrder(ids: string[]) {
      if (ids.length === 0) return [];
      return db.select(orderColumns).from(products).where(inArray(products.id, ids));
    },

    /** Active products with at most `threshold` in stock, fewest first. */
    async findLowStock(threshold: number, limit: number): Promise<ProductRecord[]> {
      return db
        .select(productColumns)
        .from(products)
        .where(and(eq(products.status, 'active'), lte(products.stock, threshold)))
        .orderBy(asc(products.stock), asc(products.id))
        .limit(limit);
    },

    /** Inserts products and their category links with one statement each (chunked for bind limits). */
    async insertProducts(rows: (ProductFields & { id: string; now: Date })[]): Promise<ProductRecord[]> {
      const out: ProductRecord[] = [];
      for (let i = 0; i < rows.length; i += 1000) {
        const chunk = rows.slice(i, i + 1000);
        const inserted = await db
          .insert(products)
          .values(chunk.map(({ categoryIds: _, now, ...p }) => ({ ...p, createdAt: now, updatedAt: now })))
          .returning({ ...productColumns, categoryIds: sql<string[]>`'{}'::text[]` });
        const links = chunk.flatMap((p) => p.categoryIds.map((categoryId) => ({ productId: p.id, categoryId })));
        if (links.length) await db.insert(productCategories).values(links);
        const byId = new Map(chunk.map((p) => [p.id, p.categoryIds]));
        for (const row of inserted) out.push({ ...row, categoryIds: [...(byId.get(row.id) ?? [])].sort() });
      }
      return out;
    },

    /** Replaces every writable field and bumps the version. */
    async updateProduct(id: string, fields: ProductFields, now: Date): Promise<ProductRecord | undefined> {
      const { categoryIds, ...rest } = fields;
      const [row] = await db
        .update(products)
        .set({ ...rest, updatedAt: now, version: sql`${products.version} + 1` })
        .where(eq(products.id, id))
        .returning({ id: products.id });
      if (!row) return undefined;
      await replaceCategories(id, categoryIds);
      const [updated] = await selectProducts(eq(products.id, id));
      return updated;
    },

    async deleteProduct(id: string): Promise<boolean> {
      const rows = await db.delete(products).where(eq(products.id, id)).returning({ id: products.id });
      return rows.length === 1;
    },

    /** True when an order has ever reserved this product (see stock.ts): it must be kept. */
    async isReferencedByOrders(productId: string): Promise<boolean> {
      const [row] = await db
        .select({ one: sql`1` })
        .from(stockReservationLines)
        .where(eq(stockReservationLines.productId, productId))
        .limit(1);
      return row !== undefined;
    },

    async existingSkus(skus: string[]): Promise<string[]> {
      if (skus.length === 0) return [];
      const rows = await db.select({ sku: products.sku }).from(products).where(inArray(products.sku, skus));
      return rows.map((r) => r.sku);
    },

    async countProducts(): Promise<number> {
      const [row] = await db.select({ n: count() }).from(products);
      return Number(row?.n ?? 0);
    },

    /**
     * One page of products. The statement depends only on which filters are present (its
     * shape), never on their values, so each shape is built and prepared once and reused.
     */
    async listProducts(f: ListFilter): Promise<ListedProduct[]> {
      const shape = [
        f.q ? 'q' : '',
        f.kind ? 'k' : '',
        f.category ? (isUuid(f.category) ? 'C' : 'c') : '',
        f.minPrice !== undefined ? 'm' : '',
        f.maxPrice !== undefined ? 'M' : '',
        f.inStock === undefined ? '' : f.inStock ? 's' : 'S',
        f.after ? 'a' : '',
        `_${f.sort}_${f.order}`,
      ].join('');
      let statement = listStatements.get(shape);
      if (!statement) {
        statement = buildList(f).prepare(`catalog_list_${shape}`);
        if (listStatements.size >= 500) listStatements.clear();
        listStatements.set(shape, statement);
      }
      return statement.execute({
        status: f.status,
        q: f.q,
        kind: f.kind,
        category: f.category,
        minPrice: f.minPrice,
        maxPrice: f.maxPrice,
        afterKey: f.after?.key,
        afterId: f.after?.id,
        limit: f.limit,
      }) as Promise<ListedProduct[]>;
    },

    // --- categories ---

    /** Serialises changes to the tree in this transaction, so two moves cannot build a cycle. */
    async lockCategoryTree(): Promise<void> {
      await db.execute(sql`select pg_advisory_xact_lock(hashtext('catalog.categories'))`);
    },

    async insertCategory(row: typeof categories.$inferInsert): Promise<CategoryRow> {
      const [inserted] = await db.insert(categories).values(row).returning();
      return inserted as CategoryRow;
    },

    async findCategory(ref: string, options: { lock?: boolean } = {}): Promise<CategoryRow | undefined> {
      const query = db
        .select()
        .from(categories)
        .where(isUuid(ref) ? eq(categories.id, ref) : eq(categories.slug, ref))
        .limit(1);
      const [row] = await (options.lock ? query.for('update') : query);
      return row;
    },

    async existingCategoryIds(ids: string[]): Promise<string[]> {
      if (ids.length === 0) return [];
      const rows = await db.select({ id: categories.id }).from(categories).where(inArray(categories.id, ids));
      return rows.map((r) => r.id);
    },

    /** Slug order; `parentId` null lists the roots, undefined every category. */
    async listCategories(filter: { parentId?: string | null; afterSlug?: string; limit: number }): Promise<CategoryRow[]> {
      const where: (SQL | undefined)[] = [];
      if (filter.parentId === null) where.push(isNull(categories.parentId));
      else if (filter.parentId !== undefined) where.push(eq(categories.parentId, filter.parentId));
      if (filter.afterSlug !== undefined) where.push(gt(categories.slug, filter.afterSlug));
      return db
        .select()
        .from(categories)
        .where(and(...where))
        .orderBy(asc(categories.slug))
        .limit(filter.limit);
    },

    async updateCategory(id: string, patch: Partial<Pick<CategoryRow, 'slug' | 'name' | 'parentId'>>, now: Date) {
      const [row] = await db
        .update(categories)
        .set({ ...patch, updatedAt: now, version: sql`${categories.version} + 1` })
        .where(eq(categories.id, id))
        .returning();
      return row;
    },

    /** True when `candidate` is `id` or lies below it: making it the parent of `id` would close a cycle. */
    async isInSubtree(candidate: string, id: string): Promise<boolean> {
      const rows = await db
        .select({ id: categories.id })
        .from(categories)
        .where(and(eq(categories.id, candidate), sql`${categories.id} in ${subtreeIds(id)}`));
      return rows.length > 0;
    },

    async categoryUsage(id: string): Promise<{ children: number; products: number }> {
      const [children] = await db.select({ n: count() }).from(categories).where(eq(categories.parentId, id));
      const [linked] = await db.select({ n: count() }).from(productCategories).where(eq(productCategories.categoryId, id));
      return { children: Number(children?.n ?? 0), products: Number(linked?.n ?? 0) };
    },

    async deleteCategory(id: string): Promise<boolean> {
      const rows = await db.delete(categories).where(eq(categories.id, id)).returning({ id: categories.id });
      return rows.length === 1;
    },

    async countCategories(): Promise<number> {
      const [row] = await db.select({ n: count() }).from(categories);
      return Number(row?.n ?? 0);
    },

    // --- stock ---

    /** Creates the reservation row; false when this order already has one (idempotent replay). */
    async findReservation(orderId: string) {
      const [reservation] = await db.select().from(stockReservations).where(eq(stockReservations.orderId, orderId)).limit(1);
      if (!reservation) return undefined;
      const lines = await db
        .select({ productId: stockReservationLines.productId, quantity: stockReservationLines.quantity })
        .from(stockReservationLines)
        .where(eq(stockReservationLines.orderId, orderId))
        .orderBy(asc(stockReservationLines.productId));
      return { ...reservation, lines };
    },

    /**
     * Locks the products of a reservation, in id order (so concurrent reservations cannot
     * deadlock), and returns what deciding and pricing it needs; unknown ids are left out.
     */
    lockForOrder: async (ids: string[]) => rowsOf<ProductForOrderRow>(await lockForOrderStatement(db, { ids })),

    /**
     * Records the reservation, its lines and the stock taken, in one statement (one round trip
     * on the checkout's hot path). Nothing is written when the order id was reserved before
     * (`created` false). The `stock >= quantity` condition stays as the last guard against
     * overselling: `taken` below the number of lines means a line found too little stock.
     */
    async writeReservation(orderId: string, lines: { productId: string; quantity: number }[], now: Date) {
      const result = await writeReservationStatement(db, {
        orderId,
        at: now.toISOString(),
        productIds: lines.map((l) => l.productId),
        quantities: lines.map((l) => l.quantity),
      });
      const [row] = rowsOf<{ created: number; taken: number }>(result);
      return { created: row?.created === 1, taken: row?.taken ?? 0 };
    },

    async returnStock(productId: string, quantity: number, now: Date): Promise<void> {
      await db
        .update(products)
        .set({ stock: sql`${products.stock} + ${quantity}`, version: sql`${products.version} + 1`, updatedAt: now })
        .where(eq(products.id, productId));
    },

    /** Marks the reservation released; false when it is unknown or already released. */
    async markReleased(orderId: string, now: Date): Promise<boolean> {
      const rows = await db
        .update(stockReservations)
        .set({ releasedAt: now })
        .where(and(eq(stockReservations.orderId, orderId), isNull(stockReservations.releasedAt)))
        .returning({ orderId: stockReservations.orderId });
      return rows.length === 1;
    },
  };
}
