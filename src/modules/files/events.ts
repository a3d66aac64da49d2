/** Events the files module publishes through the outbox, in the transaction that makes the change. */
export const FilesEvents = {
  fileDeleted: 'file.deleted',
} as const;

/** A file is gone (deleted by its owner or an admin, or with its owner's account). */
export interface FileDeleted {
  fileId: string;
  ownerId: string;
}
