/**
 * Shapes the portal's server sends its browser client (JSON over `/api/…`). Shared by src/portal/*.ts and the
 * client in src/portal/web/ (type-only imports there, so the bundle holds no server code).
 */

/** What a drawn node stands for. */
export type NodeKind =
  "vnet" | "subnet" | "vm" | "private-endpoint" | "managed-hsm" | "private-dns-zone" | "record-set";

/** Kinds of drawn edges. */
export type EdgeKind = "connection" | "peering" | "zone-link" | "record-target";

/** One node of the topology picture. `id` is the ARM id (VMs: the `Microsoft.Compute/virtualMachines` id). */
export interface GraphNode {
  readonly id: string;
  readonly kind: NodeKind;
  /** Title line (the resource name). */
  readonly label: string;
  /** Further text lines drawn under the title (addresses, settings). */
  readonly lines: readonly string[];
  /** The enclosing node (subnet in VNet, VM/endpoint in subnet, record set in zone). */
  readonly parent?: string;
  readonly resourceGroup: string;
}

/** One edge. `state` is the private endpoint connection status for `connection` edges. */
export interface GraphEdge {
  readonly id: string;
  readonly kind: EdgeKind;
  readonly source: string;
  readonly target: string;
  readonly label: string;
  readonly state?: string;
}

/** `GET /api/topology?subscription=&resourceGroup=`. */
export interface TopologyView {
  readonly subscriptionId: string;
  readonly subscriptions: readonly string[];
  readonly resourceGroups: readonly string[];
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  /** Store version the picture was drawn from (the client redraws when it changes). */
  readonly version: number;
}

/** One step of a decision trace, as `hsmlink explain` / `hsmlink log` print it. */
export interface TraceStepView {
  readonly step: string;
  readonly rule: string;
  readonly detail: string;
  readonly refs?: Readonly<Record<string, string>>;
}

/** A request's decision trace (the server's `RequestTrace`). */
export interface TraceView {
  readonly seq: number;
  readonly requestId: string;
  readonly time: string;
  readonly method: string;
  readonly url: string;
  readonly host: string;
  readonly vantage: string;
  readonly explained: boolean;
  readonly gatewayRefused?: boolean;
  readonly verdict?: "refused" | "network-allows";
  readonly steps: readonly TraceStepView[];
  readonly outcome?: {
    readonly status: number;
    readonly code?: string;
    readonly innerCode?: string;
    readonly message?: string;
  };
}

/** A troubleshooter finding (src/troubleshoot/types.ts `Finding`). */
export interface FindingView {
  readonly id: string;
  readonly status: "pass" | "fail" | "warn" | "skip";
  readonly code?: string;
  readonly message: string;
  readonly fix?: string;
}

/** One managed HSM seen from a vantage (`GET /api/from-here?vantage=`). */
export interface FromHereHsm {
  readonly hsmId: string;
  readonly name: string;
  readonly resourceGroup: string;
  readonly host: string;
  /** The DNS answer chain, as resolved from the vantage. */
  readonly dns: {
    readonly rcode: string;
    readonly answers: readonly {
      readonly name: string;
      readonly type: string;
      readonly ttl: number;
      readonly data: string;
    }[];
  };
  /** Which private zone answered and through which VNet link, when one did. */
  readonly answeredBy?: { readonly zone: string; readonly link?: string };
  /** The address the client connects to. */
  readonly address?: string;
  /** `private` (through a private endpoint), `public`, or `none` (no path). */
  readonly route: string;
  readonly routeDetail: string;
  /** `allowed` when the network lets the request through, else `refused`. */
  readonly verdict: "allowed" | "refused";
  readonly verdictDetail: string;
  /** The trace `hsmlink explain --vm … GET https://{hsm}.managedhsm.azure.net/keys` prints. */
  readonly trace: TraceView;
  /** `hsmlink troubleshoot --hsm … -g … --vm …` findings (a VM vantage only). */
  readonly findings?: readonly FindingView[];
  readonly findingsNote?: string;
}

/** `GET /api/from-here`. */
export interface FromHereView {
  readonly vantage: string;
  readonly vantageText: string;
  readonly hsms: readonly FromHereHsm[];
}

/** A vantage the user can pick. */
export interface VantageOption {
  readonly name: string;
  readonly label: string;
}

/** One private endpoint connection in the private link center. */
export interface ConnectionView {
  /** ARM id of the connection (on the HSM) or, for a connection the HSM no longer has, of the private endpoint. */
  readonly id: string;
  readonly name: string;
  readonly hsmId: string;
  readonly hsmName: string;
  readonly resourceGroup: string;
  readonly privateEndpointId?: string;
  readonly privateEndpointName?: string;
  readonly status: string;
  readonly description?: string;
  readonly provisioningState?: string;
  /** False for connections only the private endpoint still lists (Disconnected): nothing to approve. */
  readonly actionable: boolean;
}

/** Body of `POST /api/connections/action`. */
export interface ConnectionAction {
  readonly id: string;
  readonly action: "approve" | "reject" | "delete";
  readonly description?: string;
}
