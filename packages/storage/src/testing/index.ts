/** @atoll/storage/testing: test support, never a production path. */

export { CrashableDisk } from './crashable-disk.js';
