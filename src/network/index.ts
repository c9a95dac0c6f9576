/**
 * network/: the pure Private Link model — CIDR math and Azure address allocation, the typed
 * network snapshot, Azure DNS views per vantage point, and the route decision. No I/O anywhere;
 * the DNS server, the request pipeline and the troubleshooter all call into this one model.
 */

export * from "./cidr.js";
export * from "./trace.js";
export * from "./topology.js";
export * from "./dns-view.js";
export * from "./route.js";
