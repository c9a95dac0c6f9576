/**
 * The error every handler throws. Renderers turn it into the envelope of its surface:
 * ARM `{"error":{"code","message","details"?,"target"?}}` (Azure REST API guidelines, "Handling errors") or
 * Key Vault `{"error":{"code","message","innererror"?}}` with ` (Activity ID: …)` appended (data-plane.md §1, §3).
 * Anything else thrown becomes a 500 and is a bug.
 */
export type ErrorSurface = "arm" | "keyvault" | "plain";

export interface ErrorDetail {
  code: string;
  message: string;
  target?: string;
  details?: ErrorDetail[];
}

export class AzureError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly options: {
      surface?: ErrorSurface;
      details?: ErrorDetail[];
      target?: string;
      innerCode?: string;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(message);
    this.name = "AzureError";
  }

  get surface(): ErrorSurface {
    return this.options.surface ?? "arm";
  }

  /** The JSON envelope; `requestId` is appended to Key Vault messages as the real service does. */
  toBody(requestId: string): { error: Record<string, unknown> } {
    if (this.surface === "keyvault") {
      const error: Record<string, unknown> = {
        code: this.code,
        message: `${this.message} (Activity ID: ${requestId})`,
      };
      if (this.options.innerCode) error.innererror = { code: this.options.innerCode };
      return { error };
    }
    const error: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.options.target) error.target = this.options.target;
    if (this.options.details) error.details = this.options.details;
    return { error };
  }
}

export function isAzureError(e: unknown): e is AzureError {
  return e instanceof AzureError;
}
