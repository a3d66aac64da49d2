/** The catalog module's coded errors. */
import { defineError } from '../../platform/http/errors.js';

export const ProductNotFound = defineError('PRODUCT_NOT_FOUND', 404, 'Product not found');
export const CategoryNotFound = defineError('CATEGORY_NOT_FOUND', 404, 'Category not found');
export const SkuTaken = defineError('SKU_TAKEN', 409, 'SKU already used');
export const SlugTaken = defineError('SLUG_TAKEN', 409, 'Category slug already used');
export const CategoryInUse = defineError('CATEGORY_IN_USE', 409, 'Category still in use');
export const CategoryCycle = defineError('CATEGORY_CYCLE', 422, 'A category cannot be its own ancestor');
export const OutOfStock = defineError('OUT_OF_STOCK', 422, 'Not enough stock');
export const ProductUnavailable = defineError('PRODUCT_UNAVAILABLE', 422, 'Product not available');
