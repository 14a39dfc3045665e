// comlink ships ESM as .mjs with .d.ts beside it, which TypeScript does not pair; declare what we use.
declare module 'comlink/dist/esm/comlink.mjs' {
  export * from 'comlink';
}
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  export default function nodeEndpoint(endpoint: {
    postMessage(message: unknown, transfer?: readonly unknown[]): void;
    on(type: 'message', listener: (data: unknown) => void): void;
    off(type: 'message', listener: (data: unknown) => void): void;
    start?: () => void;
  }): Endpoint;
}
