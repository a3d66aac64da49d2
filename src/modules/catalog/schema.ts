/** Wire shapes of the catalog API. They drive validation, serialization and the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import { PageQuery } from '../../platform/http/pagination.js';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const KINDS = ['product', 'book', 'movie'] as const;
export type Kind = (typeof KINDS)[number];
export const Kind = Type.Union([Type.Literal('product'), Type.Literal('book'), Type.Literal('movie')]);
export const Status = Type.Union([Type.Literal('active'), Type.Literal('archived')]);

export const Sku = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', examples: ['BK-PAN-TADEUSZ'] });
export const Slug = Type.String({ minLength: 1, maxLength: 80, pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', examples: ['science-fiction'] });
const Uuid = Type.String({ format: 'uuid' });
const MAX_PRICE = 2_000_000_000;

// Per-kind attributes. Checked by the service (attributes.ts), so errors carry /attributes/... paths
// for every way a product arrives (POST, PUT, merge PATCH, import rows).
const year = (min: number) => Type.Integer({ minimum: min, maximum: 2100 });
export const BookAttributes = Type.Object(
  {
    author: Type.String({ minLength: 1, maxLength: 200 }),
    isbn: Type.String({ minLength: 10, maxLength: 17, description: 'ISBN-10 or ISBN-13, hyphens allowed; checksum verified' }),
    publisher: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    pages: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    publishedYear: Type.Optional(year(-3000)),
  },
  { ...closed, $id: 'BookAttributes' },
);
export const MovieAttributes = Type.Object(
  {
    director: Type.String({ minLength: 1, maxLength: 200 }),
    year: year(1878),
    runtimeMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 6000 })),
    genres: Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 10, uniqueItems: true }),
  },
  { ...closed, $id: 'MovieAttributes' },
);
export const GoodsAttributes = Type.Object(
  { brand: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) },
  { ...closed, $id: 'ProductAttributes' },
);

const Attributes = Type.Object(
  {},
  {
    additionalProperties: true,
    description:
      'Per kind: book {author, isbn, publisher?, pages?, publishedYear?}; movie {director, year, runtimeMinutes?, genres[]}; product {brand?}',
  },
);

const inputFields = {
  sku: Sku,
  kind: Kind,
  name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
  description: Type.Optional(Type.String({ maxLength: 10_000 })),
  priceCents: Type.Integer({ minimum: 0, maximum: MAX_PRICE, description: 'Price in minor units of `currency`' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. PLN', examples: ['PLN'] }),
  stock: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
  status: Type.Optional(Status),
  categoryIds: Type.Optional(Type.Array(Uuid, { maxItems: 20, uniqueItems: true })),
  imageIds: Type.Optional(Type.Array(Uuid, { maxItems: 20, uniqueItems: true, description: 'File ids (files module)' })),
  attributes: Type.Optional(Attributes),
};

/** What POST and PUT accept and import rows are: the whole writable product. */
export const ProductInput = Type.Object(inputFields, { ...closed, $id: 'ProductInput' });

/** JSON merge patch (RFC 7396) of a ProductInput: null removes an optional member. */
export const ProductPatch = Type.Object(
  {
    sku: Type.Optional(Sku),
    kind: Type.Optional(Kind),
    name: Type.Optional(inputFields.name),
    description: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))),
    priceCents: Type.Optional(inputFields.priceCents),
    currency: Type.Optional(inputFields.currency),
    stock: Type.Optional(inputFields.stock),
    status: Type.Optional(Status),
    categoryIds: Type.Optional(Type.Union([Type.Array(Uuid, { maxItems: 20, uniqueItems: true }), Type.Null()])),
    imageIds: Type.Optional(Type.Union([Type.Array(Uuid, { maxItems: 20, uniqueItems: true }), Type.Null()])),
    attributes: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()])),
  },
  { ...closed, minProperties: 1, description: 'JSON merge patch (RFC 7396); send as application/merge-patch+json or application/json' },
);

export const Product = Type.Object(
  {
    id: Uuid,
    sku: Type.String(),
    kind: Kind,
    name: Type.String(),
    description: Type.String(),
    priceCents: Type.Integer(),
    currency: Type.String(),
    stock: Type.Integer(),
    status: Status,
    categoryIds: Type.Array(Type.String()),
    imageIds: Type.Array(Type.String()),
    imageUrls: Type.Array(Type.String({ format: 'uri' }), { description: 'Public URLs of the images, in imageIds order' }),
    attributes: Attributes,
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    version: Type.Integer(),
  },
  { $id: 'Product' },
);

export const ProductList = Type.Object({ items: Type.Array(Type.Ref('Product')), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const SORTS = ['relevance', 'price', 'name', 'createdAt'] as const;
export type SortKey = (typeof SORTS)[number];

export const ListQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Full-text search (web search syntax: "phrase", -not, or)' }),
    ),
    kind: Type.Optional(Kind),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 80, description: 'Category slug or id; includes its subcategories' })),
    minPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_PRICE, description: 'In minor units' })),
    maxPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_PRICE, description: 'In minor units' })),
    inStock: Type.Optional(Type.Boolean()),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('archived')], { description: 'archived: admins only' })),
    sort: Type.Optional(
      Type.Union([Type.Literal('relevance'), Type.Literal('price'), Type.Literal('name'), Type.Literal('createdAt')], {
        description: 'Default: relevance with q, else createdAt',
      }),
    ),
    order: Type.Optional(
      Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: 'Default: desc for relevance and createdAt, else asc' }),
    ),
    ...PageQuery,
  },
  closed,
);

export const IdParams = Type.Object({ id: Uuid }, closed);
export const SkuParams = Type.Object({ sku: Type.String({ minLength: 1, maxLength: 64 }) }, closed);
export const CategoryRefParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 80, description: 'Id or slug' }) }, closed);

export const ImportBody = Type.Array(Type.Ref('ProductInput'), {
  minItems: 1,
  maxItems: 1000,
  description: 'All rows are created, or none: the first bad row fails the whole import',
});
export const ImportResult = Type.Object({
  created: Type.Integer(),
  items: Type.Array(Type.Object({ id: Uuid, sku: Type.String() })),
});

export const Category = Type.Object(
  {
    id: Uuid,
    slug: Type.String(),
    name: Type.String(),
    parentId: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    version: Type.Integer(),
  },
  { $id: 'Category' },
);
export const CategoryList = Type.Object({ items: Type.Array(Type.Ref('Category')), nextCursor: Type.Union([Type.String(), Type.Null()]) });
const CategoryName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
export const CategoryInput = Type.Object(
  { slug: Slug, name: CategoryName, parentId: Type.Optional(Type.Union([Uuid, Type.Null()])) },
  closed,
);
export const CategoryPatch = Type.Object(
  { slug: Type.Optional(Slug), name: Type.Optional(CategoryName), parentId: Type.Optional(Type.Union([Uuid, Type.Null()])) },
  { ...closed, minProperties: 1 },
);
export const CategoryListQuery = Type.Object(
  { parent: Type.Optional(Type.String({ minLength: 1, maxLength: 80, description: 'Only children of this id or slug' })), ...PageQuery },
  closed,
);
