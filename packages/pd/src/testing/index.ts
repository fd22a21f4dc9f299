/**
 * @atoll/pd/testing: an in-memory MetaStorage and a manual clock, for the PD's own tests,
 * the simulator and the wiring layer's tests. Not for production.
 */
export { ManualClock } from './manual-clock.js';
export { MemoryMetaStorage } from './memory-meta-storage.js';
