/**
 * The only reader of the environment, in parts under config/: the parsers, the way an owner
 * declares its settings (`defineSettings`), the loader (`loadConfig`) and the platform's own
 * infrastructure settings. Each module declares its keys in its own `settings.ts`; the app
 * composes every group in src/settings.ts, from which `.env.example` and the README table are
 * generated (a test keeps the three from drifting apart).
 */
export { ConfigError, loadConfig } from './config/load-config.js';
export {
  bool,
  bytes,
  duration,
  durationBetween,
  email,
  fail,
  folder,
  int,
  oneOf,
  origins,
  type Parser,
  secret,
  str,
  url,
} from './config/parsers.js';
export { isSplit, type PlatformConfig, platformSettings, publicUrl } from './config/platform-settings.js';
export {
  type ConfigOf,
  type ConfigOfGroups,
  defineSettings,
  type Env,
  type Setting,
  type SettingsCheck,
  type SettingsGroup,
  type SettingsMap,
} from './config/settings-group.js';
