/**
 * The portal page: four views (topology picture, "From here", private link center, live request log) over the
 * portal server's JSON API and its event stream. Keyboard: the tabs follow the WAI-ARIA tabs pattern (arrow keys),
 * every node of the picture and every action is focusable.
 */
import type {
  ConnectionView,
  FindingView,
  FromHereView,
  GraphNode,
  TopologyView,
  TraceView,
  VantageOption,
} from "../model.js";
import { ApiError, get, h, post, status, token } from "./api.js";
import { drawTopology, warmUpLayout } from "./topology.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

// ---------------------------------------------------------------- tabs
const tabs = ["topology", "from-here", "connections", "log"] as const;
type Tab = (typeof tabs)[number];
let current: Tab = "topology";

function show(tab: Tab, focus = false): void {
  current = tab;
  for (const t of tabs) {
    const button = $<HTMLButtonElement>(`tab-${t}`);
    button.setAttribute("aria-selected", String(t === tab));
    button.tabIndex = t === tab ? 0 : -1;
    $(`view-${t}`).hidden = t !== tab;
    if (t === tab && focus) button.focus();
  }
  if (tab === "topology" && topologyStale) void loadTopology();
  if (tab === "from-here") void loadFromHere();
  if (tab === "connections") void loadConnections();
}

for (const t of tabs) {
  const button = $<HTMLButtonElement>(`tab-${t}`);
  button.addEventListener("click", () => show(t));
  button.addEventListener("keydown", (e) => {
    const i = tabs.indexOf(t);
    if (e.key === "ArrowRight") show(tabs[(i + 1) % tabs.length], true);
    else if (e.key === "ArrowLeft") show(tabs[(i + tabs.length - 1) % tabs.length], true);
    else if (e.key === "Home") show(tabs[0], true);
    else if (e.key === "End") show(tabs[tabs.length - 1], true);
    else return;
    e.preventDefault();
  });
}

function failed(what: string, e: unknown): void {
  status(`${what} failed: ${e instanceof ApiError ? e.message : String(e)}`);
}

// ---------------------------------------------------------------- topology
let topologyStale = true;
let firstDraw = true;
let drawnKey = "";
let drawing: Promise<void> | undefined;
let zoom = 1;

function applyZoom(): void {
  const svg = $("canvas").querySelector("svg");
  if (!svg) return;
  svg.setAttribute("width", String(Math.round(Number(svg.dataset.naturalWidth) * zoom)));
  svg.setAttribute("height", String(Math.round(Number(svg.dataset.naturalHeight) * zoom)));
}

function fillSelect(select: HTMLSelectElement, values: readonly string[], keep: string, allLabel?: string): void {
  const options = [
    ...(allLabel !== undefined ? [h("option", { value: "" }, allLabel)] : []),
    ...values.map((v) => h("option", { value: v }, v)),
  ];
  select.replaceChildren(...options);
  if (values.includes(keep) || (allLabel !== undefined && keep === "")) select.value = keep;
}

async function select(node: GraphNode): Promise<void> {
  $("details-title").textContent = `${node.kind.replace(/-/g, " ")} ${node.label}`;
  const pre = $("details-json");
  pre.textContent = "loading…";
  try {
    const r = await get<{ source: string; resource: unknown }>(`resource?id=${encodeURIComponent(node.id)}`);
    pre.textContent = `// ${r.source}\n${JSON.stringify(r.resource, null, 2)}`;
  } catch (e) {
    pre.textContent = e instanceof ApiError ? e.message : String(e);
  }
}

async function loadTopology(): Promise<void> {
  if (drawing) {
    topologyStale = true;
    return drawing;
  }
  topologyStale = false;
  drawing = (async () => {
    const started = performance.now();
    try {
      const sub = $<HTMLSelectElement>("subscription").value;
      const rg = $<HTMLSelectElement>("resource-group").value;
      const view = await get<TopologyView>(
        `topology?subscription=${encodeURIComponent(sub)}&resourceGroup=${encodeURIComponent(rg)}`,
      );
      fillSelect($<HTMLSelectElement>("subscription"), view.subscriptions, view.subscriptionId.toLowerCase());
      fillSelect($<HTMLSelectElement>("resource-group"), view.resourceGroups, rg, "all");
      // Writes that change nothing drawn (keys created, tokens issued) leave the picture, its scroll and selection alone.
      const key = JSON.stringify([view.nodes, view.edges, $<HTMLInputElement>("expand-all").checked]);
      if (key === drawnKey && $("canvas").querySelector("svg")) {
        document.body.dataset.topologyVersion = String(view.version);
        return;
      }
      drawnKey = key;
      const r = await drawTopology($("canvas"), view, {
        expandAll: $<HTMLInputElement>("expand-all").checked,
        onSelect: (n) => void select(n),
      });
      // First picture: one a little larger than its frame is shrunk to fit (text stays readable down to 60 %); a
      // much larger one opens on the first managed HSM rather than on empty space.
      const canvas = $("canvas");
      const svg = canvas.querySelector("svg");
      if (svg && firstDraw) {
        const fit = Math.min(
          1,
          (canvas.clientWidth - 4) / Number(svg.dataset.naturalWidth),
          (canvas.clientHeight - 4) / Number(svg.dataset.naturalHeight),
        );
        if (fit >= 0.6) zoom = fit;
        applyZoom();
        if (fit < 0.6)
          canvas
            .querySelector<SVGGElement>('g.node[data-kind="managed-hsm"]')
            ?.scrollIntoView({ block: "center", inline: "center" });
      } else applyZoom();
      firstDraw = false;
      const total = performance.now() - started;
      const note = $("topology-note");
      note.hidden = !r.collapsed;
      note.textContent = r.collapsed
        ? "Large topology: subnets and VMs are folded into their VNet's text. Pick a resource group, or tick “draw subnets and VMs”."
        : "";
      document.body.dataset.topologyVersion = String(view.version);
      document.body.dataset.topologyMs = total.toFixed(1);
      status(
        `${r.nodes} resources, ${r.edges} relations · drawn in ${Math.round(total)} ms (layout ${Math.round(r.layoutMs)} ms)`,
      );
    } catch (e) {
      failed("loading the topology", e);
    }
  })();
  try {
    await drawing;
  } finally {
    drawing = undefined;
  }
  if (topologyStale && current === "topology") await loadTopology();
}

/** "Find": scrolls to, focuses and selects the first drawn resource whose name contains the text. */
$("find").addEventListener("keydown", (e) => {
  if (e.key !== "Enter") return;
  e.preventDefault();
  const text = $<HTMLInputElement>("find").value.trim().toLowerCase();
  if (!text) return;
  const nodes = [...$("canvas").querySelectorAll<SVGGElement>("g.node")];
  const hit =
    nodes.find((n) => (n.dataset.name ?? "").toLowerCase() === text) ??
    nodes.find((n) => (n.dataset.name ?? "").toLowerCase().includes(text));
  if (!hit) {
    status(`no drawn resource is named like “${text}”`);
    return;
  }
  hit.scrollIntoView({ block: "center", inline: "center" });
  hit.focus();
  hit.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
});

$("subscription").addEventListener("change", () => {
  $<HTMLSelectElement>("resource-group").value = "";
  void loadTopology();
});
$("resource-group").addEventListener("change", () => void loadTopology());
$("expand-all").addEventListener("change", () => void loadTopology());
$("zoom-in").addEventListener("click", () => {
  zoom = Math.min(4, zoom * 1.25);
  applyZoom();
});
$("zoom-out").addEventListener("click", () => {
  zoom = Math.max(0.1, zoom / 1.25);
  applyZoom();
});
$("zoom-fit").addEventListener("click", () => {
  const svg = $("canvas").querySelector("svg");
  if (!svg) return;
  const c = $("canvas");
  zoom = Math.min(
    4,
    c.clientWidth / Number(svg.dataset.naturalWidth),
    c.clientHeight / Number(svg.dataset.naturalHeight),
  );
  applyZoom();
});

// ---------------------------------------------------------------- trace table (From here, live log)
function traceTable(t: TraceView): HTMLTableElement {
  return h(
    "table",
    { class: "trace" },
    h("thead", {}, h("tr", {}, h("th", {}, "step"), h("th", {}, "rule"), h("th", {}, "detail"))),
    h(
      "tbody",
      {},
      ...t.steps.map((s) =>
        h(
          "tr",
          { "data-step": s.step, "data-rule": s.rule },
          h("td", {}, s.step),
          h("td", {}, s.rule),
          h("td", {}, s.detail),
        ),
      ),
    ),
  );
}

function copyButton(text: string): HTMLButtonElement {
  const b = h("button", { type: "button", "aria-label": `Copy: ${text}` }, "Copy");
  b.addEventListener("click", () => {
    void navigator.clipboard?.writeText(text).then(
      () => status("copied to the clipboard"),
      () => status("the browser refused the clipboard; select the command instead"),
    );
  });
  return b;
}

function findingItem(f: FindingView): HTMLLIElement {
  return h(
    "li",
    { "data-finding": f.id, "data-status": f.status },
    h("span", { class: `finding-${f.status}` }, f.status.toUpperCase()),
    ` ${f.id}${f.code ? ` [${f.code}]` : ""}: ${f.message}`,
    ...(f.fix ? [h("br"), "fix: ", h("code", {}, f.fix), " ", copyButton(f.fix)] : []),
  );
}

// ---------------------------------------------------------------- From here

async function loadFromHere(): Promise<void> {
  try {
    const select = $<HTMLSelectElement>("vantage");
    const list = await get<{ value: VantageOption[] }>("vantages");
    const keep = select.value || "internet";
    select.replaceChildren(...list.value.map((v) => h("option", { value: v.name }, v.label)));
    select.value = list.value.some((v) => v.name === keep) ? keep : "internet";
    const view = await get<FromHereView>(`from-here?vantage=${encodeURIComponent(select.value)}`);
    $("vantage-text").textContent =
      `Requests from ${view.vantageText} to each managed HSM (GET https://{hsm}.managedhsm.azure.net/keys), decided by the same pipeline as hsmlink explain.`;
    const cards = view.hsms.map((x) =>
      h(
        "article",
        { class: "card", "data-hsm": x.name, "data-verdict": x.verdict, "data-route": x.route },
        h("h2", {}, `${x.name} `, h("small", {}, `(${x.resourceGroup})`)),
        h(
          "p",
          {},
          h("strong", {}, "Resolution: "),
          x.dns.answers.length ? x.dns.answers.map((a) => `${a.name} ${a.type} ${a.data}`).join(" → ") : x.dns.rcode,
          ...(x.answeredBy
            ? [
                h("br"),
                `answered by private zone ${x.answeredBy.zone}${x.answeredBy.link ? ` through link ${x.answeredBy.link}` : ""}`,
              ]
            : []),
        ),
        h(
          "p",
          {},
          h("strong", {}, "Address: "),
          h("span", { class: "address" }, x.address ?? "none"),
          h("strong", {}, " Route: "),
          h("span", { class: "route" }, x.route),
          ` — ${x.routeDetail}`,
        ),
        h(
          "p",
          {},
          h("strong", {}, "Verdict: "),
          h("span", { class: `verdict verdict-${x.verdict}` }, x.verdict),
          ` — ${x.verdictDetail}`,
        ),
        h("details", {}, h("summary", {}, "Decision trace"), traceTable(x.trace)),
        h("h3", {}, "Troubleshooter findings"),
        x.findings
          ? h("ul", { class: "findings" }, ...x.findings.filter((f) => f.status !== "skip").map(findingItem))
          : h("p", { class: "note" }, x.findingsNote ?? ""),
      ),
    );
    $("from-here").replaceChildren(
      ...(cards.length ? cards : [h("p", { class: "note" }, "No managed HSM in this subscription yet.")]),
    );
  } catch (e) {
    failed("From here", e);
  }
}
$("vantage").addEventListener("change", () => void loadFromHere());

// ---------------------------------------------------------------- private link center
const STATES = ["Pending", "Approved", "Rejected", "Disconnected"];
/**
 * Descriptions typed but not yet sent, by connection id: the list is redrawn whenever the store changes (another
 * client, a poll), and a redraw must not throw away what the user is typing.
 */
const drafts = new Map<string, string>();
/** Number of the latest list request: an older answer arriving after a newer one is not drawn. */
let connectionsGeneration = 0;

async function act(c: ConnectionView, action: "approve" | "reject" | "delete", description: string): Promise<void> {
  status(`${action} ${c.name}…`);
  try {
    await post("connections/action", { id: c.id, action, ...(action === "delete" ? {} : { description }) });
    drafts.delete(c.id);
    status(`${action} ${c.name}: done`);
  } catch (e) {
    failed(`${action} ${c.name}`, e);
  }
  await loadConnections();
  topologyStale = true;
}

async function loadConnections(): Promise<void> {
  const generation = ++connectionsGeneration;
  try {
    const list = (await get<{ value: ConnectionView[] }>("connections")).value;
    if (generation !== connectionsGeneration) return;
    const groups = [...STATES, ...new Set(list.map((c) => c.status).filter((s) => !STATES.includes(s)))];
    const sections = groups
      .map((state) => {
        const rows = list.filter((c) => c.status === state);
        if (!rows.length) return undefined;
        return h(
          "section",
          { "data-state": state },
          h("h2", {}, `${state} (${rows.length})`),
          h(
            "table",
            {},
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", {}, "connection"),
                h("th", {}, "managed HSM"),
                h("th", {}, "private endpoint"),
                h("th", {}, "description"),
                h("th", {}, "actions"),
              ),
            ),
            h(
              "tbody",
              {},
              ...rows.map((c) => {
                const input = h("input", {
                  type: "text",
                  "aria-label": `Description for ${c.name}`,
                  placeholder: "description",
                });
                input.value = drafts.get(c.id) ?? c.description ?? "";
                input.addEventListener("input", () => drafts.set(c.id, input.value));
                const actions: (Node | string)[] = [];
                if (c.actionable) {
                  for (const a of ["approve", "reject", "delete"] as const) {
                    if ((a === "approve" && c.status === "Approved") || (a === "reject" && c.status === "Rejected"))
                      continue;
                    const b = h(
                      "button",
                      { type: "button", "data-action": a, "aria-label": `${a} ${c.name}` },
                      a[0].toUpperCase() + a.slice(1),
                    );
                    b.addEventListener("click", () => void act(c, a, input.value));
                    actions.push(b, " ");
                  }
                } else actions.push("the HSM no longer lists it");
                return h(
                  "tr",
                  { "data-connection": c.name, "data-state": c.status },
                  h("td", {}, c.name),
                  h("td", {}, c.hsmName),
                  h("td", {}, c.privateEndpointName ?? ""),
                  h("td", {}, c.actionable ? input : (c.description ?? "")),
                  h("td", {}, ...actions),
                );
              }),
            ),
          ),
        );
      })
      .filter((s): s is HTMLElement => s !== undefined);
    $("connections").replaceChildren(
      ...(sections.length ? sections : [h("p", { class: "note" }, "No private endpoint connections.")]),
    );
  } catch (e) {
    failed("loading the connections", e);
  }
}

// ---------------------------------------------------------------- live log
const traces: TraceView[] = [];
/**
 * A trace's outcome as the trace records it: `pending` while the request is in flight (no outcome step yet; the
 * server sends the trace again once it has one), `allowed` when it was served (< 400), `refused` for a refusal or a
 * dropped connection (status 0: the client got no answer).
 */
const outcomeOf = (t: TraceView): "pending" | "allowed" | "refused" =>
  !t.outcome ? "pending" : t.outcome.status > 0 && t.outcome.status < 400 ? "allowed" : "refused";

function renderLogEntry(t: TraceView): HTMLLIElement {
  const o = outcomeOf(t);
  const verdict = !t.outcome
    ? "…"
    : t.outcome.status === 0
      ? `no answer (${t.outcome.message ?? "connection dropped"})`
      : `${t.outcome.status}${t.outcome.code ? ` ${t.outcome.code}` : ""}${t.outcome.innerCode ? `/${t.outcome.innerCode}` : ""}${t.gatewayRefused ? " (refused by the gateway)" : ""}`;
  return h(
    "li",
    { "data-seq": String(t.seq), "data-host": t.host, "data-vantage": t.vantage, "data-outcome": o },
    h(
      "details",
      {},
      h(
        "summary",
        {},
        `#${t.seq} ${t.time.slice(11, 23)} ${t.method} ${t.url} from ${t.vantage} → `,
        h("span", { class: `outcome-${o}` }, verdict),
      ),
      traceTable(t),
    ),
  );
}

function renderLog(): void {
  const hsm = $<HTMLSelectElement>("log-hsm").value;
  const vantage = $<HTMLSelectElement>("log-vantage").value;
  const outcome = $<HTMLSelectElement>("log-outcome").value;
  const shown = traces.filter(
    (t) => (!hsm || t.host === hsm) && (!vantage || t.vantage === vantage) && (!outcome || outcomeOf(t) === outcome),
  );
  $("log").replaceChildren(...shown.slice(-300).reverse().map(renderLogEntry));
  fillSelect($<HTMLSelectElement>("log-hsm"), [...new Set(traces.map((t) => t.host))].sort(), hsm, "all");
  fillSelect($<HTMLSelectElement>("log-vantage"), [...new Set(traces.map((t) => t.vantage))].sort(), vantage, "all");
}

function addTrace(t: TraceView): void {
  const at = traces.findIndex((x) => x.seq === t.seq);
  if (at >= 0) traces[at] = t;
  else traces.push(t);
  if (traces.length > 1000) traces.splice(0, traces.length - 1000);
}

for (const id of ["log-hsm", "log-vantage", "log-outcome"]) $(id).addEventListener("change", renderLog);
$("log-clear").addEventListener("click", () => {
  traces.length = 0;
  renderLog();
});

// ---------------------------------------------------------------- events
function connectEvents(): void {
  const events = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
  let seenVersion: string | undefined;
  events.addEventListener("trace", (e) => {
    addTrace(JSON.parse((e as MessageEvent<string>).data) as TraceView);
    renderLog();
  });
  events.addEventListener("version", (e) => {
    const v = (e as MessageEvent<string>).data;
    if (seenVersion !== undefined && v !== seenVersion) {
      topologyStale = true;
      if (current === "topology") void loadTopology();
      if (current === "connections") void loadConnections();
    }
    seenVersion = v;
  });
  events.addEventListener("open", () => document.body.setAttribute("data-live", "open"));
  events.addEventListener("error", () => document.body.setAttribute("data-live", "reconnecting"));
}

async function boot(): Promise<void> {
  if (!token) {
    status("This page needs the URL 'hsmlink portal' prints (it carries the portal token).");
    return;
  }
  // The layout worker starts, the picture loads and the log fills at the same time.
  warmUpLayout();
  const picture = loadTopology();
  try {
    for (const t of (await get<{ value: TraceView[] }>("traces")).value) addTrace(t);
    renderLog();
  } catch (e) {
    failed("loading the request log", e);
    return;
  }
  connectEvents();
  await picture;
}

void boot();
