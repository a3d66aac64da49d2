/** Events the identity module publishes through the outbox, in the transaction that makes the change. */
export const IdentityEvents = {
  userRegistered: 'user.registered',
  userDisabled: 'user.disabled',
  userDeleted: 'user.deleted',
} as const;

export interface UserRegistered {
  userId: string;
  email: string;
}
export interface UserDisabled {
  userId: string;
}
export interface UserDeleted {
  userId: string;
}
