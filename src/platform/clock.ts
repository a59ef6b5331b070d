/**
 * @module platform/clock — where time comes from: epoch milliseconds. Parts that stamp records take
 * a Clock (default `systemClock`) so tests can fix the time.
 */

export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
