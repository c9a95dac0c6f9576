/**
 * The layering of src/ (README "How it is built"), checked by dependency-cruiser in `npm test`
 * (`npm run lint:layers`). Each folder may import only the folders listed for it; no import cycles anywhere
 * (between folders, between ARM resource types, or between files).
 */
const layers = {
  kernel: [],
  store: ["kernel"],
  config: ["kernel"],
  network: ["kernel", "store"],
  dns: ["kernel", "store", "network"],
  entra: ["kernel", "store", "config", "network"],
  hsm: ["kernel", "store", "config", "entra"],
  arm: ["kernel", "store", "config", "network", "entra", "hsm"],
  vms: ["kernel", "store", "network", "dns"],
  pipeline: ["kernel", "store", "config", "network", "entra", "hsm"],
  listeners: ["kernel", "pipeline"],
  client: ["kernel"],
  troubleshoot: ["kernel", "network", "pipeline", "client", "vms"],
  fixture: ["kernel", "store", "config", "network", "entra", "hsm", "arm", "vms", "pipeline"],
  portal: ["kernel", "store", "network", "pipeline", "client", "vms", "troubleshoot"],
  server: [
    "kernel",
    "store",
    "config",
    "network",
    "dns",
    "entra",
    "hsm",
    "arm",
    "vms",
    "pipeline",
    "listeners",
    "client",
    "fixture",
    "portal",
  ],
  cli: ["kernel", "config", "pipeline", "client", "troubleshoot", "vms", "server", "fixture", "portal"],
};

const folders = Object.keys(layers);

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "An import cycle (between folders, ARM resource types or files) makes the layers unnameable.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "unknown-folder",
      comment: "Every module of src/ lives in one of the named layers (add a new folder to .dependency-cruiser.cjs).",
      severity: "error",
      // src/index.ts is the package's entry point (the programmatic API), above every layer.
      from: { path: "^src/", pathNot: `^src/(${folders.join("|")})/|^src/index\\.ts$` },
      to: {},
    },
    ...folders.map((folder) => ({
      name: `layer-${folder}`,
      comment: `src/${folder}/ may import only ${layers[folder].length ? layers[folder].map((f) => `src/${f}/`).join(", ") : "itself"} (and packages).`,
      severity: "error",
      from: { path: `^src/${folder}/` },
      to: { path: "^src/", pathNot: `^src/(${[folder, ...layers[folder]].join("|")})/` },
    })),
    {
      name: "sql-only-in-store",
      comment:
        "SQL lives only in src/store/ (its repositories); nothing else imports better-sqlite3 (tests/unit/store/sql-only-in-store.test.ts also finds direct SQL calls).",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/store/" },
      to: { path: "(^|/)node_modules/(@types/)?better-sqlite3/" },
    },
    {
      name: "arm-engine-below-resource-types",
      comment: "The generic ARM engine does not know the resource types; only resource-types/index.ts registers them.",
      severity: "error",
      from: { path: "^src/arm/(?!resource-types/)" },
      to: { path: "^src/arm/resource-types/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
