/** `atoll pd`: runs one placement driver member until SIGINT/SIGTERM (then stops gracefully). */

import { resolve } from 'node:path';
import type { PdConfigInput } from '@atoll/pd';
import { parseInitialCluster, startPdServer } from '@atoll/pd/server';
import { loadTls } from '@atoll/store';
import { type Command, Option } from 'commander';
import { type LogLevel, makeLogger } from '../logging.js';
import { hostPort, positiveInt, withConfigFile } from '../options.js';

/** Where a PD member serves clients, stores and other members unless told otherwise. */
export const PD_DEFAULT_LISTEN = '127.0.0.1:2379';
/** Its HTTP status port: next to the gRPC port, far from the store's 20160/20180. */
export const PD_DEFAULT_STATUS = '127.0.0.1:2380';

interface PdFlags {
  id: number;
  initialCluster?: string;
  initialClusterToken: string;
  listen?: string;
  status: string;
  dataDir?: string;
  maxStoreDownMs?: number;
  replicas?: number;
  tickMs?: number;
  logLevel: LogLevel;
  config?: string;
  /** From the --config file only: any PD core setting (see @atoll/pd PdConfig). */
  pdConfig?: PdConfigInput;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export function registerPd(program: Command): void {
  program
    .command('pd')
    .description(
      'run one placement driver member: cluster metadata, scheduling, ids and timestamps (the members replicate the metadata by Raft)',
    )
    .option('--id <n>', 'this member id, one of --initial-cluster', positiveInt, 1)
    .option(
      '--initial-cluster <list>',
      'every member as id=host:port,... e.g. 1=10.0.0.1:2379,2=10.0.0.2:2379,3=10.0.0.3:2379 (default: one member, <id>=<listen>)',
    )
    .option(
      '--initial-cluster-token <token>',
      'mixed into the cluster id, so two clusters on the same addresses differ',
      'atoll-pd',
    )
    .option(
      '--listen <host:port>',
      `gRPC address for clients, stores and members (default: this member's address in --initial-cluster, else ${PD_DEFAULT_LISTEN})`,
      hostPort,
    )
    .option(
      '--status <host:port>',
      'HTTP status address (/status, /metrics, /health)',
      hostPort,
      PD_DEFAULT_STATUS,
    )
    .option('--data-dir <dir>', 'data folder (default: ./atoll-data/pd-<id>)')
    .option(
      '--max-store-down-ms <n>',
      'a store silent this long is down and its replicas are rebuilt elsewhere (default 60000)',
      positiveInt,
    )
    .option('--replicas <n>', 'replicas per region (default 3)', positiveInt)
    .option('--tick-ms <n>', 'Raft tick of the PD group in milliseconds (default 50)', positiveInt)
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error', 'silent'])
        .default('info'),
    )
    .option(
      '--tls-ca <file>',
      'CA certificate (PEM); with --tls-cert and --tls-key enables mutual TLS',
    )
    .option('--tls-cert <file>', "this member's certificate (PEM)")
    .option('--tls-key <file>', "this member's private key (PEM)")
    .option(
      '--config <file>',
      'JSON file with any of these options in camelCase (flags win), plus "pdConfig": any PD core setting',
    )
    .action(async (raw: PdFlags, cmd: Command) => {
      const flags = withConfigFile(raw, (name) => cmd.getOptionValueSource(name) === 'cli');
      const ownListen = flags.listen ?? PD_DEFAULT_LISTEN;
      const initial = flags.initialCluster ?? `${flags.id}=${ownListen}`;
      const members = parseInitialCluster(initial);
      const me = members.find((m) => m.id === flags.id);
      if (!me) throw new Error(`--id ${flags.id} is not in --initial-cluster ${initial}`);
      const logger = makeLogger(flags.logLevel, { component: 'pd', member: flags.id });
      const tlsGiven = [flags.tlsCa, flags.tlsCert, flags.tlsKey].filter(Boolean).length;
      if (tlsGiven > 0 && tlsGiven < 3)
        throw new Error('TLS needs all of --tls-ca, --tls-cert and --tls-key');
      const tls =
        tlsGiven === 3
          ? loadTls({ caFile: flags.tlsCa!, certFile: flags.tlsCert!, keyFile: flags.tlsKey! })
          : undefined;
      const downMs = flags.maxStoreDownMs ?? flags.pdConfig?.maxStoreDownTimeMs;
      const config: PdConfigInput = {
        // A short store-down time needs a disconnect time no longer than it (default 20 s).
        ...(downMs !== undefined ? { storeDisconnectMs: Math.min(20_000, downMs) } : {}),
        ...flags.pdConfig,
        ...(flags.maxStoreDownMs ? { maxStoreDownTimeMs: flags.maxStoreDownMs } : {}),
        ...(flags.replicas ? { maxReplicas: flags.replicas } : {}),
      };
      const dataDir = resolve(flags.dataDir ?? `atoll-data/pd-${flags.id}`);
      const running = await startPdServer({
        memberId: flags.id,
        initialCluster: members.map((m) => `${m.id}=${m.address}`).join(','),
        clusterToken: flags.initialClusterToken,
        dataDir,
        listen: flags.listen ?? me.address,
        statusListen: flags.status,
        config,
        ...(flags.tickMs ? { tickMs: flags.tickMs } : {}),
        ...(tls ? { serverCredentials: tls.server, channelCredentials: tls.channel } : {}),
        logger,
        onFatal: (e) => {
          logger.error({ error: e.message }, 'PD member failed; exiting');
          process.exit(70);
        },
      });
      logger.info(
        {
          port: running.port,
          statusPort: running.statusPort,
          clusterId: running.clusterId,
          members: members.length,
          dataDir,
        },
        'pd ready',
      );
      await waitForSignal();
      logger.info('stopping: handing PD leadership over');
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
