/** Wire shapes of the weather API. They drive validation, serialization and the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

// Unicode letters and marks with spaces, dots, hyphens and apostrophes; at least one letter.
// No digits, slashes, '&', '?' or '%': nothing that could mean something in a URL.
export const CITY_PATTERN = "^(?=.*\\p{L})[\\p{L}\\p{M} .'’-]+$";

const City = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: CITY_PATTERN,
  description: 'City name (letters, spaces, dots, hyphens, apostrophes). Give either city, or lat and lon.',
  examples: ['Kraków'],
});
const Lat = Type.Number({
  minimum: -90,
  maximum: 90,
  description: 'Latitude in degrees; rounded to 2 decimals (~1 km).',
  examples: [52.23],
});
const Lon = Type.Number({ minimum: -180, maximum: 180, description: 'Longitude in degrees; rounded to 2 decimals.', examples: [21.01] });

export const CurrentQuery = Type.Object({ city: Type.Optional(City), lat: Type.Optional(Lat), lon: Type.Optional(Lon) }, closed);
export const ForecastQuery = Type.Object(
  {
    city: Type.Optional(City),
    lat: Type.Optional(Lat),
    lon: Type.Optional(Lon),
    days: Type.Integer({ minimum: 1, maximum: 7, default: 7, description: 'Days from today (local to the place), 1 to 7.' }),
  },
  closed,
);

const Place = Type.Object(
  {
    name: Nullable(Type.String({ description: 'Null when asked by coordinates' })),
    region: Nullable(Type.String({ description: 'State, province or voivodeship' })),
    country: Nullable(Type.String()),
    countryCode: Nullable(Type.String({ description: 'ISO 3166-1 alpha-2' })),
    latitude: Type.Number(),
    longitude: Type.Number(),
    elevation: Nullable(Type.Number({ description: 'Metres above sea level' })),
    timezone: Type.String({ description: 'IANA time zone of the place', examples: ['Europe/Warsaw'] }),
  },
  { description: 'The place the weather is for: the geocoded city, or the (rounded) coordinates asked for' },
);

const Provenance = {
  source: Type.Literal('open-meteo'),
  observedAt: Type.String({ format: 'date-time', description: "The source's time of the current conditions (UTC)" }),
  retrievedAt: Type.String({ format: 'date-time', description: 'When we fetched this from the source (UTC)' }),
  stale: Type.Boolean({
    description: 'True when older than our cache TTL: served while refreshing, or because the source is failing',
  }),
};

const Conditions = Type.Object({
  temperature: Nullable(Type.Number()),
  apparentTemperature: Nullable(Type.Number()),
  relativeHumidity: Nullable(Type.Number()),
  precipitation: Nullable(Type.Number({ description: 'In the preceding interval' })),
  windSpeed: Nullable(Type.Number({ description: 'At 10 m' })),
  windDirection: Nullable(Type.Number({ description: 'Where the wind comes from' })),
  weatherCode: Nullable(Type.Integer({ description: 'WMO weather interpretation code' })),
  description: Nullable(Type.String({ examples: ['Partly cloudy'] })),
});

export const CurrentWeather = Type.Object({
  place: Place,
  current: Conditions,
  units: Type.Object({
    temperature: Type.Literal('°C'),
    apparentTemperature: Type.Literal('°C'),
    relativeHumidity: Type.Literal('%'),
    precipitation: Type.Literal('mm'),
    windSpeed: Type.Literal('km/h'),
    windDirection: Type.Literal('°'),
  }),
  ...Provenance,
});

const Day = Type.Object({
  date: Type.String({ format: 'date', description: 'Local calendar day of the place' }),
  temperatureMin: Nullable(Type.Number()),
  temperatureMax: Nullable(Type.Number()),
  precipitationSum: Nullable(Type.Number()),
  windSpeedMax: Nullable(Type.Number()),
  weatherCode: Nullable(Type.Integer()),
  description: Nullable(Type.String()),
});

export const Forecast = Type.Object({
  place: Place,
  days: Type.Array(Day),
  units: Type.Object({
    temperatureMin: Type.Literal('°C'),
    temperatureMax: Type.Literal('°C'),
    precipitationSum: Type.Literal('mm'),
    windSpeedMax: Type.Literal('km/h'),
  }),
  ...Provenance,
});
