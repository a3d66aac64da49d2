/**
 * The SQL the catalog module runs (as drizzle renders it, captured from its query log), shared by
 * the raw catalog baselines so they do exactly the same database work as Zaplecze.
 */
const COLUMNS =
  'select "id", "sku", "kind", "name", "description", "price_cents", "currency", "stock", "status", "attributes", "image_ids", "created_at", "updated_at", "version", ' +
  'array(select pc.category_id from catalog.product_categories pc where pc.product_id = products.id order by pc.category_id)::text[] as category_ids';

/** GET /products/:id */
export const BY_ID = `${COLUMNS} from "catalog"."products" where "catalog"."products"."id" = $1`;

/** GET /products?q=...&kind=...&sort=price&order=asc (first page) */
export const LIST_Q_KIND_PRICE =
  `${COLUMNS}, ts_rank("search", websearch_to_tsquery('english', $1)) as rank from "catalog"."products" ` +
  `where ("catalog"."products"."status" = $2 and "catalog"."products"."search" @@ websearch_to_tsquery('english', $3) and "catalog"."products"."kind" = $4) ` +
  `order by "catalog"."products"."price_cents" asc, "catalog"."products"."id" asc limit $5`;

/** Public URL of an image, as the files module builds it (PUBLIC_URL, default http://localhost:PORT). */
const imageUrl = (base, fileId) => `${base}/api/v1/files/${fileId}/content?disposition=inline`;

/**
 * The wire shape of a product, as the API sends it (same keys, same order). `base` is the
 * public URL the candidate uses for image links.
 */
export const toWire = (r, base = process.env.PUBLIC_URL ?? '') => ({
  id: r.id,
  sku: r.sku,
  kind: r.kind,
  name: r.name,
  description: r.description,
  priceCents: r.price_cents,
  currency: r.currency,
  stock: r.stock,
  status: r.status,
  categoryIds: r.category_ids,
  imageIds: r.image_ids,
  imageUrls: r.image_ids.map((id) => imageUrl(base, id)),
  attributes: r.attributes,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
  version: r.version,
});
