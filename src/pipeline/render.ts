/**
 * The renderers of the pipeline's refusals, one per surface: the Key Vault envelope of the managed HSM data plane,
 * the ARM envelope, and the gateway's refusal status line. Steps below return reasons ({@link Refusal}); only
 * these functions turn them into bytes a client sees.
 */
import { AzureError } from "../kernel/errors.js";
import type { ExchangeResult } from "../kernel/exchange.js";

/**
 * Why a step refuses a request, independent of the surface: the HTTP status, Azure's error code (and inner code),
 * the message, extra headers (e.g. `WWW-Authenticate`), and `emptyBody` for answers Azure sends without a body
 * (the 401 challenge).
 */
export interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly innerCode?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly emptyBody?: boolean;
}

/** A refusal from an `AzureError` thrown by an operation. */
export function refusalOf(e: AzureError): Refusal {
  return {
    status: e.status,
    code: e.code,
    message: e.message,
    ...(e.options.innerCode ? { innerCode: e.options.innerCode } : {}),
    ...(e.options.headers ? { headers: e.options.headers } : {}),
  };
}

/**
 * Key Vault envelope (data-plane.md §1, §3): `{"error":{"code","message … (Activity ID: {requestId})","innererror"?:{"code"}}}`,
 * or no body for `emptyBody`.
 */
export function renderKeyVault(r: Refusal, requestId: string): ExchangeResult {
  if (r.emptyBody) return { status: r.status, ...(r.headers ? { headers: { ...r.headers } } : {}) };
  const body = new AzureError(r.status, r.code, r.message, {
    surface: "keyvault",
    ...(r.innerCode ? { innerCode: r.innerCode } : {}),
  }).toBody(requestId);
  return { status: r.status, ...(r.headers ? { headers: { ...r.headers } } : {}), body };
}

/** ARM envelope (Azure REST API guidelines, "Handling errors"): `{"error":{"code","message","target"?,"details"?}}`. */
export function renderArm(e: AzureError): ExchangeResult {
  const err = e.surface === "arm" ? e : new AzureError(e.status, e.code, e.message, { ...e.options, surface: "arm" });
  return { status: e.status, ...(e.options.headers ? { headers: e.options.headers } : {}), body: err.toBody("") };
}

/** A reason made safe for an HTTP header line (ASCII, no line breaks). */
export function headerSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, " ");
}

/** Longest reason phrase the gateway sends (clients print it; keep it to one readable line). */
export const MAX_REASON_PHRASE = 200;

/**
 * The gateway's refusal status line reason phrase: `hsmlink: {reason}`, printable ASCII only, one line, at most
 * {@link MAX_REASON_PHRASE} characters (cut at a word with `...`). Clients (Python requests/az, curl, Node) print it.
 */
export function reasonPhrase(reason: string): string {
  const s = `hsmlink: ${headerSafe(reason)}`.replace(/\s+/g, " ").trim();
  if (s.length <= MAX_REASON_PHRASE) return s;
  const cut = s.slice(0, MAX_REASON_PHRASE - 3);
  const sp = cut.lastIndexOf(" ");
  return (sp > MAX_REASON_PHRASE / 2 ? cut.slice(0, sp) : cut).replace(/[\s;,:(]+$/, "") + "...";
}
