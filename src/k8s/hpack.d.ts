// Types for hpack.js 2 (RFC 7541 header compression; the npm package ships none): the parts the
// :authority proxy uses.
declare module "hpack.js" {
  interface Header {
    name: string;
    value: string;
    neverIndex?: boolean;
  }
  interface Decompressor {
    write(chunk: Buffer): void;
    execute(): void;
    read(): Header | null;
  }
  interface Compressor {
    write(headers: Header[]): void;
    read(): Buffer | null;
  }
  const hpack: {
    decompressor: { create(o: { table: { size: number } }): Decompressor };
    compressor: { create(o: { table: { size: number } }): Compressor };
  };
  export default hpack;
}
