import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../platform/outbound/decode.js';
import { toPlace, toSnapshot } from './open-meteo.js';

const body = (overrides: Record<string, unknown> = {}) => ({
  latitude: 52.25,
  longitude: 21,
  elevation: 106,
  timezone: 'Europe/Warsaw',
  utc_offset_seconds: 3600,
  current: {
    time: '2026-11-26T15:45',
    temperature_2m: 3.4,
    apparent_temperature: 0.1,
    relative_humidity_2m: 87,
    precipitation: null,
    wind_speed_10m: 14.2,
    wind_direction_10m: 245,
    weather_code: 3,
  },
  daily: {
    time: ['2026-11-26', '2026-11-27'],
    temperature_2m_min: [1.2, null],
    temperature_2m_max: [5.5, 4.1],
    precipitation_sum: [0.4, 2.1],
    wind_speed_10m_max: [20.5, 31],
    weather_code: [61, 3],
  },
  ...overrides,
});

describe('open-meteo mapping', () => {
  it('when the forecast is in local time, then observedAt is converted to UTC with the given offset', () => {
    const snapshot = toSnapshot(body());
    expect(snapshot.observedAt).toBe('2026-11-26T14:45:00.000Z');
    expect(snapshot.timezone).toBe('Europe/Warsaw');
  });

  it('when values are missing (null), then they stay null rather than becoming 0', () => {
    const snapshot = toSnapshot(body());
    expect(snapshot.current.precipitation).toBeNull();
    expect(snapshot.days[1]).toEqual({
      date: '2026-11-27',
      temperatureMin: null,
      temperatureMax: 4.1,
      precipitationSum: 2.1,
      windSpeedMax: 31,
      weatherCode: 3,
    });
  });

  it('when a required field is missing or of the wrong type, then DecodeError names the path', () => {
    expect(() => toSnapshot(body({ timezone: undefined }))).toThrow(DecodeError);
    expect(() => toSnapshot(body({ utc_offset_seconds: 'one hour' }))).toThrow(/utc_offset_seconds/);
    expect(() => toSnapshot(null)).toThrow(DecodeError);
    expect(() => toSnapshot(body({ current: { ...body().current, time: 'yesterday' } }))).toThrow(/current\/time/);
  });

  it('when geocoding finds places, then the first becomes our Place; none gives null', () => {
    expect(
      toPlace({
        results: [{ name: 'Gdańsk', latitude: 54.35, longitude: 18.65, country: 'Poland', country_code: 'pl', timezone: 'Europe/Warsaw' }],
      }),
    ).toEqual({
      name: 'Gdańsk',
      region: null,
      country: 'Poland',
      countryCode: 'PL',
      latitude: 54.35,
      longitude: 18.65,
      elevation: null,
      timezone: 'Europe/Warsaw',
    });
    expect(toPlace({ generationtime_ms: 1 })).toBeNull();
    expect(() => toPlace({ results: 'none' })).toThrow(DecodeError);
  });
});
