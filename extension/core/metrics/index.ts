/** Public surface of core/metrics: per-sample losses, group accumulators, disparities, intervals, diversity. */
export * from './losses';
export * from './batch';
export * from './accumulator';
export * from './disparity';
export * from './diversity';
export * from './groups';
export { percentileInterval, quantileSorted, Xoshiro128 } from './stats';
