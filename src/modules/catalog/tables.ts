/** Tables of the catalog module, in its own Postgres schema. */
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const catalog = pgSchema('catalog');

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** The text search configuration of `products.search` and of every query against it. */
export const SEARCH_CONFIG = 'english';

export const categories = catalog.table(
  'categories',
  {
    id: uuid('id').primaryKey(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    /** Null for a root. Cycles are refused by the service under a tree-wide lock. */
    parentId: uuid('parent_id').references((): AnyPgColumn => categories.id, { onDelete: 'restrict' }),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [uniqueIndex('categories_slug_key').on(t.slug), index('categories_parent_idx').on(t.parentId)],
);

export const products = catalog.table(
  'products',
  {
    id: uuid('id').primaryKey(),
    sku: text('sku').notNull(),
    kind: text('kind', { enum: ['product', 'book', 'movie'] }).notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    priceCents: integer('price_cents').notNull(),
    currency: text('currency').notNull(),
    stock: integer('stock').notNull(),
    status: text('status', { enum: ['active', 'archived'] })
      .notNull()
      .default('active'),
    /** Per-kind attributes, validated by the service (book: author, isbn...; movie: director, year...). */
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
    /** File ids of the files module (not checked: modules share ids, never foreign keys). */
    imageIds: uuid('image_ids').array().notNull().default(sql`'{}'::uuid[]`),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
    /** Bumped by every change (stock included); the ETag is id + version. */
    version: integer('version').notNull().default(1),
    /** Full-text document, weighted name > author/director > description; kept by PostgreSQL. */
    search: tsvector('search')
      .notNull()
      .generatedAlwaysAs(
        sql.raw(
          `setweight(to_tsvector('${SEARCH_CONFIG}', name), 'A') || ` +
            `setweight(to_tsvector('${SEARCH_CONFIG}', coalesce(attributes->>'author', '') || ' ' || coalesce(attributes->>'director', '')), 'B') || ` +
            `setweight(to_tsvector('${SEARCH_CONFIG}', description), 'C')`,
        ),
      ),
  },
  (t) => [
    uniqueIndex('products_sku_key').on(t.sku),
    index('products_search_idx').using('gin', t.search),
    // One (key, id) index per sort: keyset pages are index range scans in either direction.
    index('products_price_idx').on(t.priceCents, t.id),
    index('products_name_idx').on(t.name, t.id),
    index('products_created_idx').on(t.createdAt, t.id),
    index('products_kind_created_idx').on(t.kind, t.createdAt, t.id),
    index('products_kind_price_idx').on(t.kind, t.priceCents, t.id),
    // inStock: the sold-out rows are the minority worth skipping without a heap visit.
    index('products_in_stock_idx').on(t.createdAt, t.id).where(sql`stock > 0`),
    check('products_kind_check', sql`kind in ('product', 'book', 'movie')`),
    check('products_status_check', sql`status in ('active', 'archived')`),
    check('products_price_check', sql`price_cents >= 0`),
    check('products_stock_check', sql`stock >= 0`),
    check('products_currency_check', sql`currency ~ '^[A-Z]{3}$'`),
  ],
);

/** Category membership; the category side is indexed for the `category` filter. */
export const productCategories = catalog.table(
  'product_categories',
  {
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id, { onDelete: 'cascade' }),
    categoryId: uuid('category_id')
      .notNull()
      .references(() => categories.id, { onDelete: 'restrict' }),
  },
  (t) => [primaryKey({ columns: [t.productId, t.categoryId] }), index('product_categories_category_idx').on(t.categoryId, t.productId)],
);

/** A stock reservation of one order (the shop's), keyed by order id so reserving is idempotent. */
export const stockReservations = catalog.table('stock_reservations', {
  orderId: uuid('order_id').primaryKey(),
  createdAt: at('created_at').notNull(),
  releasedAt: at('released_at'),
});

/** The lines of a reservation. They are also the catalog's record of which products orders reference. */
export const stockReservationLines = catalog.table(
  'stock_reservation_lines',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => stockReservations.orderId, { onDelete: 'cascade' }),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id, { onDelete: 'restrict' }),
    quantity: integer('quantity').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.productId] }),
    index('stock_reservation_lines_product_idx').on(t.productId),
    check('stock_reservation_lines_quantity_check', sql`quantity > 0`),
  ],
);

export type ProductRow = Omit<typeof products.$inferSelect, 'search'>;
export type CategoryRow = typeof categories.$inferSelect;
