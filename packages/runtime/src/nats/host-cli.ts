/**
 * The `superstep-host` command line: flags → {@link startHostProcess}. Prints one line when it serves
 * (`superstep-host <id> ready …`), stops cleanly on SIGINT/SIGTERM (its membership record is deleted, so
 * coordinators move its slots at once), and exits 2 on bad flags.
 */
import { parseArgs } from 'node:util';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { startHostProcess, type HostProcessOptions } from './host-process.ts';

const USAGE = `usage: superstep-host [options]
  --servers URL       NATS server (repeatable; default nats://127.0.0.1:4222)
  --threads N         worker threads, the slots this host offers (default 1)
  --root DIR          directory whose executor modules may be imported
  --package NAME      package whose modules may be imported (repeatable)
  --id ID             host id in the membership bucket (default host-<pid>-<time>)
  --heartbeat-ms N    heartbeat interval (default 250)
  --bucket NAME       membership KV bucket (default superstep_hosts)
  --user U --pass P   NATS user and password      --token T   NATS token
  --creds FILE        NATS credentials file (JWT + nkey seed)
  --tls-ca FILE --tls-cert FILE --tls-key FILE   TLS files
At least one of --root and --package is required: a host imports nothing else.`;

const FLAGS = {
  servers: { type: 'string', multiple: true },
  threads: { type: 'string' },
  root: { type: 'string' },
  package: { type: 'string', multiple: true },
  id: { type: 'string' },
  'heartbeat-ms': { type: 'string' },
  bucket: { type: 'string' },
  user: { type: 'string' },
  pass: { type: 'string' },
  token: { type: 'string' },
  creds: { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  help: { type: 'boolean' },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof FLAGS }>>['values'];

function integer(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** NATS auth and TLS from the flags, as the client takes them (a creds file is read by each connection). */
function connection(flags: Flags): Omit<NodeConnectionOptions, 'servers' | 'authenticator'> {
  const options: Omit<NodeConnectionOptions, 'servers' | 'authenticator'> = {
    name: 'superstep-host',
    pingInterval: 2_000,
  };
  if (flags.user !== undefined) Object.assign(options, { user: flags.user, pass: flags.pass });
  if (flags.token !== undefined) Object.assign(options, { token: flags.token });
  if (flags['tls-ca'] !== undefined || flags['tls-cert'] !== undefined) {
    Object.assign(options, {
      tls: { caFile: flags['tls-ca'], certFile: flags['tls-cert'], keyFile: flags['tls-key'] },
    });
  }
  return options;
}

/** Runs the command; resolves with the exit code once the host has stopped. */
export async function main(argv: readonly string[]): Promise<number> {
  let flags: Flags;
  try {
    flags = parseArgs({ args: [...argv], options: FLAGS, strict: true }).values;
  } catch (error) {
    console.error(`superstep-host: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (flags.help === true) {
    console.log(USAGE);
    return 0;
  }
  const options: HostProcessOptions = {
    ...(flags.servers === undefined ? {} : { servers: flags.servers }),
    threads: integer(flags.threads),
    hostId: flags.id,
    root: flags.root,
    packages: flags.package ?? [],
    heartbeatMs: integer(flags['heartbeat-ms']),
    bucket: flags.bucket,
    connection: connection(flags),
    credsFile: flags.creds,
  };
  let host;
  try {
    host = await startHostProcess(options);
  } catch (error) {
    console.error(`superstep-host: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  const stop = (): void => {
    void host.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`superstep-host ${host.hostId} ready (${String(options.threads ?? 1)} threads)`);
  await host.closed;
  return 0;
}
