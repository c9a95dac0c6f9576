/** The portal page's calls to its server: the portal token from the URL fragment goes in a header. */

/** `#token=…` of the URL `hsmlink portal` printed. */
export const token: string = new URLSearchParams(location.hash.replace(/^#/, "")).get("token") ?? "";

/** Thrown for a non-2xx answer; `message` is the server's error message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function parse<T>(r: Response): Promise<T> {
  const text = await r.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!r.ok)
    throw new ApiError(
      r.status,
      (json as { error?: { message?: string; code?: string } } | undefined)?.error?.message ??
        `${r.status} ${r.statusText}`,
    );
  return json as T;
}

/** GET `/api/{path}`. @throws ApiError */
export async function get<T>(path: string): Promise<T> {
  return parse<T>(await fetch(`/api/${path}`, { headers: { "x-hsmlink-portal-token": token } }));
}

/** POST JSON to `/api/{path}` (the browser adds Origin; the server checks it). @throws ApiError */
export async function post<T>(path: string, body: unknown): Promise<T> {
  return parse<T>(
    await fetch(`/api/${path}`, {
      method: "POST",
      headers: { "x-hsmlink-portal-token": token, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

/** Creates an element with attributes and children (text or nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

/** Shows a line in the header's live status region. */
export function status(text: string): void {
  const s = document.getElementById("status");
  if (s) s.textContent = text;
}
