/**
 * Payloads of any size over NATS. The server refuses a message above its `max_payload` (1 MiB by default,
 * headers included), and badly: an oversize request fails before it is sent, an oversize reply is dropped
 * and its requester only times out. So bytes that fit travel as the message, and bigger ones go to a
 * JetStream object store: the message is empty and names the object in a header; the receiver reads the
 * object and deletes it. The bucket's `ttl` removes an object whose receiver never came for it.
 */
import type { ObjectStore } from '@nats-io/obj';
import type { Msg, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { SuperstepError } from '../shared/errors.ts';
import type { NatsSession } from './nats-modules.ts';

const BLOB_HEADER = 'Superstep-Blob';
/** Room left under `max_payload` for headers and the protocol line. */
const HEADROOM = 16 * 1024;
/** How long an unread payload object is kept. */
const OBJECT_TTL_MS = 10 * 60 * 1000;
const EMPTY = new Uint8Array(0);

/** A message ready to publish: its body, and the headers that name an object when the bytes are in one. */
export interface OutgoingPayload {
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
}

export class Payloads {
  private store: Promise<ObjectStore> | undefined;
  private readonly nc: NatsConnection;

  constructor(
    private readonly session: NatsSession,
    private readonly bucket: string,
  ) {
    this.nc = session.nc;
  }

  /** The connection it sends on. */
  get connection(): NatsConnection {
    return this.nc;
  }

  /** The largest body sent as it is. */
  get limit(): number {
    return (this.nc.info?.max_payload ?? 1024 * 1024) - HEADROOM;
  }

  private open(): Promise<ObjectStore> {
    this.store ??= new this.session.modules.obj.Objm(this.nc).create(this.bucket, {
      ttl: OBJECT_TTL_MS * 1_000_000,
    });
    // A failed open is retried by the next large payload.
    this.store.catch(() => (this.store = undefined));
    return this.store;
  }

  /** `bytes` as a message: as they are, or put in the object store and named. */
  async outgoing(bytes: Uint8Array): Promise<OutgoingPayload> {
    if (bytes.byteLength <= this.limit) return { data: bytes, headers: undefined };
    const { client } = this.session.modules;
    const name = `p-${client.nuid.next()}`;
    await (await this.open()).putBlob({ name }, bytes);
    const headers = client.headers();
    headers.set(BLOB_HEADER, name);
    return { data: EMPTY, headers };
  }

  /** The bytes `msg` carries, fetched from the object store if it names an object there. */
  async incoming(msg: Msg): Promise<Uint8Array> {
    const name = msg.headers?.get(BLOB_HEADER) ?? '';
    if (name === '') return msg.data;
    const store = await this.open();
    const bytes = await store.getBlob(name);
    if (bytes === null) {
      throw new SuperstepError('DECODE_FAILED', `payload object ${JSON.stringify(name)} is not in the store`, {
        details: { object: name, bucket: this.bucket },
      });
    }
    // Read once: deleting it is housekeeping, and the bucket's ttl catches what this misses.
    store.delete(name).catch(() => undefined);
    return bytes;
  }

  /** Publishes `bytes` on `subject` (no reply expected). */
  async publish(subject: string, bytes: Uint8Array): Promise<void> {
    const out = await this.outgoing(bytes);
    this.nc.publish(subject, out.data, out.headers === undefined ? undefined : { headers: out.headers });
  }

  /** Answers `msg` with `bytes`; false if it had no reply subject. */
  async respond(msg: Msg, bytes: Uint8Array): Promise<boolean> {
    const out = await this.outgoing(bytes);
    return msg.respond(out.data, out.headers === undefined ? undefined : { headers: out.headers });
  }

  /** Sends `bytes` to `subject` and resolves with the reply's bytes; rejects as the client does. */
  async request(subject: string, bytes: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const out = await this.outgoing(bytes);
    const reply = await this.nc.request(subject, out.data, {
      timeout: timeoutMs,
      ...(out.headers === undefined ? {} : { headers: out.headers }),
    });
    return await this.incoming(reply);
  }
}
