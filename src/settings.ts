/**
 * The app's configuration: the platform's settings, then each module's, in the order the docs
 * show them (.env.example and the README table are generated from this list). A module added
 * to the app adds its `settings.ts` group here.
 */
import { catalogSettings } from './modules/catalog/settings.js';
import { chatSettings } from './modules/chat/settings.js';
import { filesSettings } from './modules/files/settings.js';
import { identitySettings } from './modules/identity/settings.js';
import { shopSettings } from './modules/shop/settings.js';
import { todosSettings } from './modules/todos/settings.js';
import { weatherSettings } from './modules/weather/settings.js';
import { type ConfigOfGroups, type Env, loadConfig, platformSettings, type Setting } from './platform/config.js';

/** Every settings group of the app, platform first. */
export const SETTING_GROUPS = [
  platformSettings,
  identitySettings,
  catalogSettings,
  todosSettings,
  filesSettings,
  shopSettings,
  chatSettings,
  weatherSettings,
] as const;

/** Every variable the app reads, in the order of the docs. */
export const SETTINGS: Readonly<Record<string, Setting<unknown>>> = Object.freeze(
  Object.assign({}, ...SETTING_GROUPS.map((group) => group.settings)),
);

/** Where an owner declares its settings: the platform in its config folder, a module in its own folder. */
export function settingsFileOf(owner: string): string {
  return owner === 'platform' ? 'src/platform/config/platform-settings.ts' : `src/modules/${owner}/settings.ts`;
}

/** The whole app's parsed configuration. */
export type AppConfig = ConfigOfGroups<typeof SETTING_GROUPS>;

/** Loads every group from `env` (the process passes `process.env`); throws ConfigError naming each problem. */
export function loadAppConfig(env: Env): AppConfig {
  return loadConfig(env, SETTING_GROUPS);
}
