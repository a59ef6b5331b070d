/** @module resources/wire-time — timestamps as SageMaker documents carry them: epoch seconds with a millisecond fraction. */

/** Wire times are epoch seconds with a millisecond fraction. */
export const wireTime = (ms: number): number => Math.round(ms) / 1000;
