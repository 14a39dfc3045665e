// comlink ships ESM as .mjs with .d.ts beside it, which TypeScript does not pair; point it at the types.
declare module 'comlink/dist/esm/comlink.mjs' {
  export * from 'comlink';
}
declare module 'comlink/dist/esm/node-adapter.mjs' {
  export { default, type NodeEndpoint } from 'comlink/dist/umd/node-adapter';
}
