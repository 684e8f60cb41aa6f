// The package ships no types; this covers the part of its API the local stack uses.
declare module "qrcode-terminal" {
  export function generate(text: string, opts: { small?: boolean }, callback: (qr: string) => void): void;
}
