/** `atoll kv get|put|delete|scan|cas`: key-value operations from the command line. */

import { type Command, Option } from 'commander';
import { DEFAULT_PD, dataClient } from '../cluster-connection.js';
import { decodeArg, ENCODINGS, type Encoding, encodeOut } from '../encoding.js';
import { addressList, positiveInt } from '../options.js';

interface KvFlags {
  pd: string[];
  keyEncoding: Encoding;
  valueEncoding: Encoding;
  json?: boolean;
  timeoutMs: number;
}

function common(cmd: Command): Command {
  return cmd
    .option('--pd <addresses>', 'placement driver address(es), comma-separated', addressList, [
      DEFAULT_PD,
    ])
    .addOption(
      new Option('--key-encoding <enc>', 'how keys are written and shown')
        .choices(ENCODINGS)
        .default('utf8'),
    )
    .addOption(
      new Option('--value-encoding <enc>', 'how values are written and shown')
        .choices(ENCODINGS)
        .default('utf8'),
    )
    .option('--json', 'print JSON instead of text')
    .option('--timeout-ms <n>', 'deadline for the operation', positiveInt, 10_000);
}

/** Runs an operation with a connected client, always closing it. */
async function withClient<T>(
  flags: KvFlags,
  fn: (c: Awaited<ReturnType<typeof dataClient>>) => Promise<T>,
): Promise<T> {
  const client = await dataClient(flags);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

export function registerKv(program: Command): void {
  const kv = program.command('kv').description('read and write keys');

  common(kv.command('get <key>').description('print the value of a key (exit 1 if absent)')).action(
    async (key: string, f: KvFlags) => {
      const value = await withClient(f, (c) =>
        c.get(decodeArg(key, f.keyEncoding, 'key'), { timeoutMs: f.timeoutMs }),
      );
      if (f.json)
        console.log(
          JSON.stringify({
            key,
            found: value !== undefined,
            value: value && encodeOut(value, f.valueEncoding),
          }),
        );
      else if (value !== undefined) console.log(encodeOut(value, f.valueEncoding));
      if (value === undefined) {
        if (!f.json) console.error(`atoll: key not found`);
        process.exitCode = 1;
      }
    },
  );

  common(
    kv
      .command('put <key> <value>')
      .description('write a key (acknowledged once durable on a majority)'),
  ).action(async (key: string, value: string, f: KvFlags) => {
    await withClient(f, (c) =>
      c.put(decodeArg(key, f.keyEncoding, 'key'), decodeArg(value, f.valueEncoding, 'value'), {
        timeoutMs: f.timeoutMs,
      }),
    );
    console.log(f.json ? JSON.stringify({ ok: true }) : 'OK');
  });

  common(
    kv.command('delete <key>').description('delete a key (deleting a missing key is not an error)'),
  ).action(async (key: string, f: KvFlags) => {
    await withClient(f, (c) =>
      c.delete(decodeArg(key, f.keyEncoding, 'key'), { timeoutMs: f.timeoutMs }),
    );
    console.log(f.json ? JSON.stringify({ ok: true }) : 'OK');
  });

  common(
    kv
      .command('scan')
      .description('print the pairs in [start, end) in key order')
      .option('--start <key>', 'first key (inclusive; default: the beginning)')
      .option('--end <key>', 'end key (exclusive; default: the end)')
      .option('--limit <n>', 'at most this many pairs', positiveInt, 100)
      .option('--reverse', 'from the end backwards')
      .option('--keys-only', 'print keys only'),
  ).action(
    async (
      f: KvFlags & {
        start?: string;
        end?: string;
        limit: number;
        reverse?: boolean;
        keysOnly?: boolean;
      },
    ) => {
      const pairs = await withClient(f, (c) =>
        c.scan({
          ...(f.start !== undefined ? { start: decodeArg(f.start, f.keyEncoding, 'start') } : {}),
          ...(f.end !== undefined ? { end: decodeArg(f.end, f.keyEncoding, 'end') } : {}),
          limit: f.limit,
          reverse: f.reverse ?? false,
          keyOnly: f.keysOnly ?? false,
          timeoutMs: f.timeoutMs,
        }),
      );
      if (f.json) {
        console.log(
          JSON.stringify(
            pairs.map((p) => ({
              key: encodeOut(p.key, f.keyEncoding),
              ...(f.keysOnly ? {} : { value: encodeOut(p.value, f.valueEncoding) }),
            })),
          ),
        );
      } else {
        for (const p of pairs)
          console.log(
            f.keysOnly
              ? encodeOut(p.key, f.keyEncoding)
              : `${encodeOut(p.key, f.keyEncoding)}\t${encodeOut(p.value, f.valueEncoding)}`,
          );
      }
    },
  );

  common(
    kv
      .command('cas <key> <value>')
      .description(
        'set key to value if its current value is --expect (or it is absent with --absent)',
      )
      .option('--expect <value>', 'the value the key must have')
      .option('--absent', 'the key must not exist'),
  ).action(
    async (key: string, value: string, f: KvFlags & { expect?: string; absent?: boolean }) => {
      if ((f.expect === undefined) === !f.absent)
        throw new Error('give exactly one of --expect <value> or --absent');
      const expected = f.absent ? null : decodeArg(f.expect!, f.valueEncoding, 'expected value');
      const r = await withClient(f, (c) =>
        c.compareAndSwap(
          decodeArg(key, f.keyEncoding, 'key'),
          expected,
          decodeArg(value, f.valueEncoding, 'value'),
          {
            timeoutMs: f.timeoutMs,
          },
        ),
      );
      const previous = r.previous === undefined ? null : encodeOut(r.previous, f.valueEncoding);
      if (f.json) console.log(JSON.stringify({ succeeded: r.succeeded, previous }));
      else console.log(r.succeeded ? 'OK' : `NOT SET (current value: ${previous ?? '<absent>'})`);
      if (!r.succeeded) process.exitCode = 1;
    },
  );
}
