/** Time as a dependency, so expiry rules can be tested without waiting. */
export interface Clock {
  now(): Date;
}

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() };
