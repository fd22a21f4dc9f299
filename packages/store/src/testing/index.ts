/**
 * @atoll/store/testing: in-process store clusters on in-memory storage, a test transport hub
 * and a virtual clock, for deterministic tests across packages. Not for production.
 */

export {
  AtollProcess,
  cliPath,
  cpuSeconds,
  freePort,
  killAll,
  nodeArgsFromEnv,
  repoRoot,
} from './processes.js';
export { key, regionOn, StoreCluster, type TestStore } from './store-cluster.js';
export { VirtualEnv } from './virtual-env.js';
