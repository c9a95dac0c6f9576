/**
 * Decision-trace steps produced by the network model (DNS view and route).
 *
 * The request pipeline appends these to its decision trace; `hsmlink explain`, the request log and
 * the troubleshooter read them. `rule` is stable and machine-readable (switch on it); `detail` is
 * the human sentence; `refs` carries the ARM ids / addresses the rule looked at.
 */
import type { TraceRefs } from "../kernel/trace.js";

export type { TraceRefs };

/** Rules the DNS view can report, in the order they typically appear. */
export type DnsRule =
  | "vantage-internet"
  | "vantage-vm"
  | "vnet-missing"
  | "azure-dns"
  | "custom-dns-azure"
  | "custom-dns-forwarder"
  | "custom-dns-timeout"
  | "custom-dns-exhausted"
  | "no-linked-zone"
  | "private-zone-answer"
  | "private-zone-cname"
  | "private-zone-nodata"
  | "private-zone-nxdomain"
  | "private-zone-auto-registration"
  | "private-zone-fallback"
  | "duplicate-zone-name"
  | "public-cname"
  | "public-no-approved-connection"
  | "public-soft-deleted"
  | "public-answer"
  | "public-nodata"
  | "public-nxdomain"
  | "cname-loop"
  | "cname-chain-too-long";

/** Rules the route decision can report. */
export type RouteRule =
  | "vantage-internet"
  | "vantage-vm"
  | "invalid-address"
  | "vnet-missing"
  | "reachable-vnets"
  | "private-endpoint-nic"
  | "private-endpoint-not-reachable"
  | "not-a-private-endpoint"
  | "private-endpoint-without-connection"
  | "host-differs-from-target"
  | "private-address-from-internet"
  | "public-endpoint"
  | "no-outbound-public-address"
  | "no-listener";

/** One step of the decision trace written by the DNS view or the route decision (a narrowing of the kernel's {@link TraceStep}). */
export type NetworkTraceStep =
  | { readonly step: "dns"; readonly rule: DnsRule; readonly detail: string; readonly refs?: TraceRefs }
  | { readonly step: "route"; readonly rule: RouteRule; readonly detail: string; readonly refs?: TraceRefs };
