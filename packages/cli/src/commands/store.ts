/** `atoll store`: runs one store server until SIGINT/SIGTERM (then stops gracefully). */

import { statfsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PdClient } from '@atoll/pd-client';
import { loadTls, PD_WORKER_DEFAULTS, PdWorker, parseStaticCluster } from '@atoll/store';
import {
  joinCluster,
  pdStoreResolver,
  type RunningStore,
  startStoreServer,
} from '@atoll/store/server';
import { type Command, Option } from 'commander';
import { type LogLevel, makeLogger } from '../logging.js';
import { addressList, hostPort, positiveInt, readJsonFile, withConfigFile } from '../options.js';
import { onParentExit } from '../parent-watch.js';
import { VERSION } from '../version.js';

interface StoreFlags {
  storeId?: number;
  cluster?: string;
  pd?: string[];
  advertise?: string;
  listen: string;
  status: string;
  dataDir?: string;
  tickMs?: number;
  wal?: boolean;
  walDir?: string;
  raftLink?: 'socket' | 'grpc';
  logLevel: LogLevel;
  config?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export function registerStore(program: Command): void {
  program
    .command('store')
    .description('run one store: hosts region replicas, serves clients and other stores')
    .option(
      '--pd <addresses>',
      'placement driver address(es), comma-separated: PD places regions',
      addressList,
    )
    .option(
      '--cluster <file>',
      'instead of --pd: a static cluster description (JSON: clusterId, stores, regions)',
    )
    .option(
      '--store-id <n>',
      'with --cluster: this store id (with --pd it is assigned and kept in the data folder)',
      positiveInt,
    )
    .option(
      '--advertise <host:port>',
      'address other stores and clients use (default: --listen)',
      hostPort,
    )
    .option(
      '--listen <host:port>',
      'gRPC address for clients and stores',
      hostPort,
      '127.0.0.1:20160',
    )
    .option(
      '--status <host:port>',
      'HTTP status address (/metrics, /status, /health)',
      hostPort,
      '127.0.0.1:20180',
    )
    .option('--data-dir <dir>', 'data folder (default: ./atoll-data/store-<id>)')
    .option(
      '--wal-dir <dir>',
      'folder of the write-ahead log (default: <data-dir>/wal); on a disk of its own, its ' +
        "syncs do not wait behind LMDB's writes. The data folder remembers it: later starts " +
        'must give the same folder',
    )
    .option('--tick-ms <n>', 'Raft tick in milliseconds (default 50)', positiveInt)
    .option(
      '--no-wal',
      'acknowledge writes once LMDB has them on disk, without the write-ahead log in front ' +
        '(by default each write batch is logged and acknowledged once logged)',
    )
    .addOption(
      new Option(
        '--raft-link <kind>',
        'what carries Raft traffic between stores: framed TCP on the store port, or gRPC ' +
          '(default: socket, grpc with TLS; all stores of a cluster must agree)',
      ).choices(['socket', 'grpc']),
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error', 'silent'])
        .default('info'),
    )
    .option(
      '--tls-ca <file>',
      'CA certificate (PEM); with --tls-cert and --tls-key enables mutual TLS',
    )
    .option('--tls-cert <file>', "this store's certificate (PEM)")
    .option('--tls-key <file>', "this store's private key (PEM)")
    .option('--config <file>', 'JSON file with any of these options (flags win)')
    .action(async (raw: StoreFlags, cmd: Command) => {
      const flags = withConfigFile(raw, (name) => cmd.getOptionValueSource(name) === 'cli');
      if (Boolean(flags.pd) === Boolean(flags.cluster))
        throw new Error('give exactly one of --pd <addresses> or --cluster <file>');
      const logger = makeLogger(flags.logLevel, { component: 'store' });
      const tlsGiven = [flags.tlsCa, flags.tlsCert, flags.tlsKey].filter(Boolean).length;
      if (tlsGiven > 0 && tlsGiven < 3)
        throw new Error('TLS needs all of --tls-ca, --tls-cert and --tls-key');
      const tls =
        tlsGiven === 3
          ? loadTls({ caFile: flags.tlsCa!, certFile: flags.tlsCert!, keyFile: flags.tlsKey! })
          : undefined;
      const credentials = tls
        ? { serverCredentials: tls.server, channelCredentials: tls.channel }
        : {};
      const common = {
        listen: flags.listen,
        statusListen: flags.status,
        ...(flags.tickMs ? { config: { tickMs: flags.tickMs } } : {}),
        wal: flags.wal !== false,
        ...(flags.walDir ? { walDir: flags.walDir } : {}),
        ...(flags.raftLink ? { raftLink: flags.raftLink } : {}),
        logger,
        ...credentials,
        onFatal: (e: Error) => {
          logger.error({ error: e.message }, 'store failed; exiting');
          process.exit(70);
        },
      };

      let running: RunningStore;
      let pd: PdClient | undefined;
      let dataDir: string;
      if (flags.pd) {
        pd = await PdClient.connect({
          endpoints: flags.pd,
          ...(tls ? { credentials: tls.channel } : {}),
        }).catch((e: unknown) => {
          throw new Error(
            `cannot reach a placement driver at ${flags.pd!.join(', ')} (${(e as Error).message})`,
          );
        });
        dataDir = resolve(flags.dataDir ?? 'atoll-data/store');
        const advertise = flags.advertise ?? flags.listen;
        const joined = await joinCluster(pd, {
          dataDir,
          address: advertise,
          statusAddress: flags.status,
          version: VERSION,
        });
        const storeAddresses = pdStoreResolver(pd);
        running = await startStoreServer({
          ...common,
          storeId: joined.storeId,
          clusterId: joined.clusterId,
          dataDir,
          resolveStore: (id) => storeAddresses.resolve(id),
          forgetStore: (id) => storeAddresses.forget(id),
          bootstrapRegions: joined.bootstrapRegion ? [joined.bootstrapRegion] : [],
        });
        new PdWorker(running.store, pd, {
          ...PD_WORKER_DEFAULTS,
          capacity: () => diskCapacity(dataDir),
        }).start();
      } else {
        const cluster = parseStaticCluster(readJsonFile(flags.cluster!));
        if (!flags.storeId) throw new Error('--cluster needs --store-id');
        const me = cluster.stores.find((s) => s.id === flags.storeId);
        if (!me) throw new Error(`store ${flags.storeId} is not in ${flags.cluster}`);
        const addresses = new Map(cluster.stores.map((s) => [s.id, s.address]));
        dataDir = resolve(flags.dataDir ?? `atoll-data/store-${flags.storeId}`);
        running = await startStoreServer({
          ...common,
          storeId: flags.storeId,
          clusterId: cluster.clusterId,
          dataDir,
          resolveStore: async (id) => {
            const a = addresses.get(id);
            if (!a) throw new Error(`store ${id} is not in the cluster description`);
            return a;
          },
          bootstrapRegions: cluster.regions,
        });
      }
      logger.info(
        {
          storeId: running.store.storeId,
          port: running.port,
          statusPort: running.statusPort,
          dataDir,
        },
        'store ready',
      );
      await waitForSignal();
      logger.info('stopping: moving leaders away');
      await running.stop(true);
      await pd?.close();
      logger.info('stopped');
    });
}

/** Bytes of the file system holding the data folder, and bytes free. */
function diskCapacity(dir: string): { capacity: number; available: number } {
  try {
    const s = statfsSync(dir);
    return { capacity: s.blocks * s.bsize, available: s.bavail * s.bsize };
  } catch {
    return { capacity: 0, available: 0 };
  }
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    onParentExit(() => done());
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
