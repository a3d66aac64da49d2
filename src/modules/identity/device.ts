/**
 * What counts as "the same device" for new-device alerts: the browser family and the OS family
 * read from the User-Agent, without versions. A browser update is then not a new device, while
 * another browser or another OS is. Deliberately coarse: two laptops with the same browser and
 * OS look alike (no fingerprinting beyond the header the client sends anyway).
 */

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\b(OPR|Opera)\//, 'Opera'],
  [/\b(Firefox|FxiOS)\//, 'Firefox'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\bWindows\b/, 'Windows'],
  [/\bAndroid\b/, 'Android'],
  [/\b(iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/** `Firefox on Linux`, `curl`, or `unknown` without a User-Agent. */
export function deviceOf(userAgent: string | null): string {
  if (!userAgent?.trim()) return 'unknown';
  const browser =
    BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1] ??
    // Not a known browser (an app, curl): its first product name, without the version.
    /^[^\s/;()]+/.exec(userAgent.trim())?.[0]?.slice(0, 40) ??
    'unknown';
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  return system ? `${browser} on ${system}` : browser;
}
