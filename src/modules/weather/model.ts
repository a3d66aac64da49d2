/**
 * The weather module's own model: what we keep from Open-Meteo, in our words and units.
 * Values are plain JSON so they can be cached in Redis as they are.
 */

/** A place weather was asked for: a geocoded city, or bare coordinates (no name). */
export interface Place {
  name: string | null;
  /** First-level administrative area (state, voivodeship), when known. */
  region: string | null;
  country: string | null;
  /** ISO 3166-1 alpha-2. */
  countryCode: string | null;
  latitude: number;
  longitude: number;
  /** Metres above sea level. */
  elevation: number | null;
  /** IANA time zone, e.g. Europe/Warsaw. */
  timezone: string | null;
}

/** Conditions at one moment. Null means the source had no value. */
export interface Conditions {
  /** °C */
  temperature: number | null;
  /** °C, what it feels like. */
  apparentTemperature: number | null;
  /** % */
  relativeHumidity: number | null;
  /** mm in the preceding interval. */
  precipitation: number | null;
  /** km/h at 10 m. */
  windSpeed: number | null;
  /** Degrees, where the wind comes from. */
  windDirection: number | null;
  /** WMO weather interpretation code. */
  weatherCode: number | null;
}

/** One local calendar day of the forecast. */
export interface ForecastDay {
  /** YYYY-MM-DD in the place's time zone. */
  date: string;
  temperatureMin: number | null;
  temperatureMax: number | null;
  precipitationSum: number | null;
  windSpeedMax: number | null;
  weatherCode: number | null;
}

/** One answer of the forecast API for one grid point: current conditions and up to 7 days. */
export interface WeatherSnapshot {
  /** The source's grid point, which may differ slightly from the coordinates asked for. */
  latitude: number;
  longitude: number;
  elevation: number | null;
  timezone: string;
  /** When the current conditions were observed/modelled, ISO 8601 UTC. */
  observedAt: string;
  current: Conditions;
  days: ForecastDay[];
}

/** What the service answers: where, what, and how fresh. */
export interface WeatherReport {
  place: Place;
  snapshot: WeatherSnapshot;
  /** True when served past its freshness (revalidating, or because the provider failed). */
  stale: boolean;
  /** When we fetched it from the provider. */
  retrievedAt: Date;
  freshUntil: Date;
}

/** Where to look: a city name, or coordinates. */
export type PlaceQuery = { city: string } | { latitude: number; longitude: number };
