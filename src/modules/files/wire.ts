/** Row -> wire mapping: the wire shape is a promise, the row shape is not. */
import type { FileRow } from './tables.js';

export const toFileWire = (f: FileRow) => ({
  id: f.id,
  name: f.name,
  size: f.size,
  contentType: f.contentType,
  sha256: f.sha256,
  visibility: f.visibility,
  createdAt: f.createdAt.toISOString(),
});
