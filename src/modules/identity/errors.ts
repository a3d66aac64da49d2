/** The identity module's coded errors. */
import { defineError } from '../../platform/http/errors.js';

export const EmailTaken = defineError('EMAIL_TAKEN', 409, 'Email already registered');
export const WeakPassword = defineError('WEAK_PASSWORD', 400, 'Password not acceptable');
export const InvalidCredentials = defineError('INVALID_CREDENTIALS', 401, 'Invalid email or password');
export const InvalidRefreshToken = defineError('INVALID_REFRESH_TOKEN', 401, 'Invalid refresh token');
export const AccountDisabled = defineError('ACCOUNT_DISABLED', 403, 'Account disabled');
export const LoginLocked = defineError('LOGIN_LOCKED', 429, 'Too many failed logins');
export const UserNotFound = defineError('USER_NOT_FOUND', 404, 'User not found');
export const SessionNotFound = defineError('SESSION_NOT_FOUND', 404, 'Session not found');
export const InvalidMailToken = defineError('INVALID_TOKEN', 400, 'Invalid or expired token');
export const WrongPassword = defineError('WRONG_PASSWORD', 403, 'Current password is wrong');
export const LastAdmin = defineError('LAST_ADMIN', 422, 'The last admin must stay an active admin');
