/** Wire shapes of the identity API. They drive validation, serialization and the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import { PageQuery } from '../../platform/http/pagination.js';
import { SECURITY_EVENT_TYPES } from './tables.js';

const closed = { additionalProperties: false } as const;

export const Email = Type.String({ format: 'email', maxLength: 254, examples: ['ada@example.com'] });
// Length is checked again in code by code points; here it only bounds the input.
export const Password = Type.String({ minLength: 8, maxLength: 512, examples: ['correct horse battery staple'] });
// No control characters (none belong in a name) and at least one visible one. Written so that
// each character can match one way only: linear time, whatever the input (checked by recheck).
export const Name = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[^\\S\\p{Cc}]*[^\\s\\p{Cc}]\\P{Cc}*$',
  examples: ['Ada Lovelace'],
});
const NoControl = '^\\P{Cc}*$';
export const RoleSchema = Type.Union([Type.Literal('user'), Type.Literal('admin')]);

export const User = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String(),
    name: Type.String(),
    role: RoleSchema,
    emailVerified: Type.Boolean(),
    disabled: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'User' },
);

export const RegisterBody = Type.Object({ email: Email, password: Password, name: Name }, closed);
export const LoginBody = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254, pattern: NoControl }), password: Type.String({ minLength: 1, maxLength: 512 }) },
  closed,
);
export const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 200 }) }, closed);

export const TokenPair = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
  user: Type.Ref('User'),
});

export const Session = Type.Object({
  id: Type.String({ format: 'uuid' }),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.String({ format: 'date-time' }),
  current: Type.Boolean(),
});

export const UpdateMeBody = Type.Object({ name: Type.Optional(Name) }, { ...closed, minProperties: 1 });
export const ChangeEmailBody = Type.Object({ email: Email, currentPassword: Type.String({ minLength: 1, maxLength: 512 }) }, closed);
export const ChangePasswordBody = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: 512 }), newPassword: Password },
  closed,
);
export const ResetRequestBody = Type.Object({ email: Email }, closed);
export const ResetConfirmBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }), newPassword: Password }, closed);
export const VerifyConfirmBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }, closed);

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, closed);

export const AdminListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: NoControl, description: 'Part of the email or name' })),
    role: Type.Optional(RoleSchema),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  closed,
);
export const UserList = Type.Object({ items: Type.Array(Type.Ref('User')), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const AdminUpdateBody = Type.Object(
  { role: Type.Optional(RoleSchema), disabled: Type.Optional(Type.Boolean()) },
  { ...closed, minProperties: 1 },
);

export const SecurityEventsQuery = Type.Object(PageQuery, closed);
export const SecurityEvent = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    at: Type.String({ format: 'date-time' }),
    type: Type.Union(
      SECURITY_EVENT_TYPES.map((t) => Type.Literal(t)),
      {
        description:
          'session_revoked carries details.reason: logout, logout-all, revoked-by-user, refresh-token-reuse, password-changed, password-reset, user-disabled',
      },
    ),
    ip: Type.Union([Type.String(), Type.Null()], { description: 'Where the request came from; null when an admin acted' }),
    userAgent: Type.Union([Type.String(), Type.Null()]),
    sessionId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    current: Type.Boolean({ description: 'The event concerns the session making this request' }),
    details: Type.Record(Type.String(), Type.Unknown(), {
      description: 'login*: {device}; email_changed: {from, to}; role_changed: {from, to}; session_revoked: {reason}',
    }),
  },
  { $id: 'SecurityEvent' },
);
export const SecurityEventPage = Type.Object({
  items: Type.Array(Type.Ref('SecurityEvent')),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const Accepted = Type.Object({ status: Type.Literal('accepted') });
