/** Display helpers shared by the screens. */
export const money = (cents: number, currency: string | null | undefined) =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency: currency || 'EUR' }).format(cents / 100);

export const dateTime = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

/** A short, readable stand-in for a user without a display name. */
export const shortId = (id: string) => `user ${id.slice(-6)}`;

export const statusLabel = (s: string) => s.replaceAll('_', ' ');
