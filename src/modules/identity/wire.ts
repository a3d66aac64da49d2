/** Row -> wire mapping: the wire shape is a promise, the row shape is not. */
import type { SecurityEventRow, SessionRow, UserRow } from './tables.js';

export const toUserWire = (u: UserRow) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  emailVerified: u.emailVerifiedAt !== null,
  disabled: u.disabledAt !== null,
  createdAt: u.createdAt.toISOString(),
  updatedAt: u.updatedAt.toISOString(),
});

export const toSessionWire = (s: SessionRow & { current: boolean }) => ({
  id: s.id,
  userAgent: s.userAgent,
  ip: s.ip,
  createdAt: s.createdAt.toISOString(),
  lastUsedAt: s.lastUsedAt.toISOString(),
  current: s.current,
});

export const toTokensWire = (t: { accessToken: string; refreshToken: string; tokenType: 'Bearer'; expiresIn: number; user: UserRow }) => ({
  ...t,
  user: toUserWire(t.user),
});

export const toSecurityEventWire = (e: SecurityEventRow & { current: boolean }) => ({
  id: e.id,
  at: e.at.toISOString(),
  type: e.type,
  ip: e.ip,
  userAgent: e.userAgent,
  sessionId: e.sessionId,
  current: e.current,
  details: e.details as Record<string, unknown>,
});
