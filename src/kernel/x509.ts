/**
 * @peculiar/x509, loaded on first use: it takes about 80 ms to load and only issuing certificates needs it (the
 * local CA's leaf certificates, security-domain exchange and wrapping keys), so `hsmlink start` does not pay for it.
 */
import type * as X509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";

let x509Module: Promise<typeof X509> | undefined;

/** The @peculiar/x509 module, its crypto provider set to Node's WebCrypto; the same promise on every call. */
export function loadX509(): Promise<typeof X509> {
  x509Module ??= (async () => {
    await import("reflect-metadata"); // its dependency tsyringe needs the Reflect polyfill first
    const m = await import("@peculiar/x509");
    m.cryptoProvider.set(webcrypto as unknown as Crypto);
    return m;
  })();
  return x509Module;
}
