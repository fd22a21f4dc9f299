/** `atoll store`: runs one store server until SIGINT/SIGTERM (then stops gracefully). */

import { resolve } from 'node:path';
import { loadTls, parseStaticCluster } from '@atoll/store';
import { startStoreServer } from '@atoll/store/server';
import { type Command, Option } from 'commander';
import { type LogLevel, makeLogger } from '../logging.js';
import { hostPort, positiveInt, readJsonFile, withConfigFile } from '../options.js';

interface StoreFlags {
  storeId: number;
  cluster: string;
  listen: string;
  status: string;
  dataDir?: string;
  tickMs?: number;
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
    .requiredOption('--store-id <n>', 'this store id (unique in the cluster)', positiveInt)
    .requiredOption(
      '--cluster <file>',
      'static cluster description (JSON: clusterId, stores, regions)',
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
    .option('--tick-ms <n>', 'Raft tick in milliseconds (default 50)', positiveInt)
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
      const cluster = parseStaticCluster(readJsonFile(flags.cluster));
      const me = cluster.stores.find((s) => s.id === flags.storeId);
      if (!me) throw new Error(`store ${flags.storeId} is not in ${flags.cluster}`);
      const addresses = new Map(cluster.stores.map((s) => [s.id, s.address]));
      const logger = makeLogger(flags.logLevel, { component: 'store' });
      const tlsGiven = [flags.tlsCa, flags.tlsCert, flags.tlsKey].filter(Boolean).length;
      if (tlsGiven > 0 && tlsGiven < 3)
        throw new Error('TLS needs all of --tls-ca, --tls-cert and --tls-key');
      const tls =
        tlsGiven === 3
          ? loadTls({ caFile: flags.tlsCa!, certFile: flags.tlsCert!, keyFile: flags.tlsKey! })
          : undefined;
      const dataDir = resolve(flags.dataDir ?? `atoll-data/store-${flags.storeId}`);
      const running = await startStoreServer({
        storeId: flags.storeId,
        clusterId: cluster.clusterId,
        dataDir,
        listen: flags.listen,
        statusListen: flags.status,
        resolveStore: async (id) => {
          const a = addresses.get(id);
          if (!a) throw new Error(`store ${id} is not in the cluster description`);
          return a;
        },
        bootstrapRegions: cluster.regions,
        ...(tls ? { serverCredentials: tls.server, channelCredentials: tls.channel } : {}),
        ...(flags.tickMs ? { config: { tickMs: flags.tickMs } } : {}),
        logger,
        onFatal: (e) => {
          logger.error({ error: e.message }, 'store failed; exiting');
          process.exit(70);
        },
      });
      logger.info({ port: running.port, statusPort: running.statusPort, dataDir }, 'store ready');
      await waitForSignal();
      logger.info('stopping: moving leaders away');
      await running.stop(true);
      logger.info('stopped');
    });
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
