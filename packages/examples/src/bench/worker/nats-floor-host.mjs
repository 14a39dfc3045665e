// The host process of the remote-overhead floor (docs/benchmarks.md): as little as a host reached over NATS
// can do. It answers each request on its subject — one msgpack batch of `[actor, remaining]` messages — with
// one batch of what its actors send (`remaining - 1`, until 1), like worker/floor-host.ts does over a port.
// Plain JavaScript in its own process: no loader, no runtime, no worker thread.
import { connect } from '@nats-io/transport-node';
import { pack, unpack } from 'msgpackr';

const [servers, subject] = process.argv.slice(2);
const nc = await connect({ servers });
nc.subscribe(subject, {
  callback: (error, msg) => {
    if (error) return;
    try {
      const outbox = [];
      for (const [actor, remaining] of unpack(msg.data)) if (remaining > 1) outbox.push([actor, remaining - 1]);
      msg.respond(pack(outbox));
    } catch (thrown) {
      // A throw here would stop this connection's reader for good (docs/distributed.md).
      console.error(thrown);
    }
  },
});
await nc.flush();
console.log('ready');
process.once('SIGTERM', () => {
  void nc.close().then(() => process.exit(0));
});
