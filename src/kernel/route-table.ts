/**
 * A route table: method + path template → value, looked up segment by segment in a trie (no scan of the routes).
 * Templates are `/`-separated segments:
 * - a literal, matched case-insensitively (Azure's REST paths are case-insensitive);
 * - `{name}`, one non-empty segment, captured raw (percent-encoded as sent);
 * - `{name?}`, an optional segment (the template is registered with and without it);
 * - `{*name}`, any number of segments (also none), captured as `/a/b` or `""`.
 * Where several templates match a path, literals win over `{name}`, which wins over `{*name}`, segment by segment.
 */

/** Parameters captured by a match, by name. */
export type RouteParams = Readonly<Record<string, string>>;

interface Node<T> {
  readonly literals: Map<string, Node<T>>;
  param?: { readonly name: string; readonly node: Node<T> };
  rest?: { readonly name: string; readonly node: Node<T> };
  readonly values: Map<string, T>;
}

const newNode = <T>(): Node<T> => ({ literals: new Map(), values: new Map() });

/** The result of {@link RouteTable.match}: the value and params; `"method"` when the path exists for other methods only. */
export type RouteMatch<T> = { readonly value: T; readonly params: RouteParams } | "method" | undefined;

export class RouteTable<T> {
  private readonly root: Node<T> = newNode<T>();

  /**
   * Adds `value` for `method` and `template`.
   * @throws Error when the same method and template are already taken, or a template segment is malformed
   */
  add(method: string, template: string, value: T): this {
    const segments = template.split("/").filter((s) => s !== "");
    const optional = segments.findIndex((s) => /^\{[^{}*?]+\?\}$/.test(s));
    if (optional >= 0) {
      if (optional !== segments.length - 1 && segments.slice(optional + 1).some((s) => /^\{[^{}]+\?\}$/.test(s)))
        throw new Error(`route template ${template}: one optional segment only`);
      this.insert(method, [...segments.slice(0, optional), ...segments.slice(optional + 1)], template, value);
      this.insert(
        method,
        [...segments.slice(0, optional), segments[optional].replace("?}", "}"), ...segments.slice(optional + 1)],
        template,
        value,
      );
      return this;
    }
    this.insert(method, segments, template, value);
    return this;
  }

  private insert(method: string, segments: string[], template: string, value: T): void {
    let node = this.root;
    for (const s of segments) {
      const rest = /^\{\*([A-Za-z0-9_]+)\}$/.exec(s);
      const param = /^\{([A-Za-z0-9_]+)\}$/.exec(s);
      if (rest) {
        if (node.rest && node.rest.name !== rest[1])
          throw new Error(`route template ${template}: {*${rest[1]}} clashes with {*${node.rest.name}}`);
        node.rest ??= { name: rest[1], node: newNode<T>() };
        node = node.rest.node;
      } else if (param) {
        if (node.param && node.param.name !== param[1])
          throw new Error(`route template ${template}: {${param[1]}} clashes with {${node.param.name}}`);
        node.param ??= { name: param[1], node: newNode<T>() };
        node = node.param.node;
      } else {
        if (/[{}]/.test(s)) throw new Error(`route template ${template}: malformed segment '${s}'`);
        const key = s.toLowerCase();
        let next = node.literals.get(key);
        if (!next) node.literals.set(key, (next = newNode<T>()));
        node = next;
      }
    }
    const m = method.toUpperCase();
    if (node.values.has(m)) throw new Error(`route ${m} ${template} is registered twice`);
    node.values.set(m, value);
  }

  /** Looks up `method path` (`path` starts with `/`; no query). */
  match(method: string, path: string): RouteMatch<T> {
    const parts = path.split("/").slice(1);
    if (parts.length === 1 && parts[0] === "") parts.pop();
    let pathExists = false;
    const m = method.toUpperCase();
    const walk = (
      node: Node<T>,
      i: number,
      params: Record<string, string>,
    ): { value: T; params: RouteParams } | undefined => {
      if (i === parts.length && node.values.size > 0) {
        const v = node.values.get(m);
        if (v !== undefined) return { value: v, params };
        pathExists = true;
      }
      if (i < parts.length) {
        const lit = node.literals.get(parts[i].toLowerCase());
        if (lit) {
          const r = walk(lit, i + 1, params);
          if (r) return r;
        }
        if (node.param && parts[i] !== "") {
          const r = walk(node.param.node, i + 1, { ...params, [node.param.name]: parts[i] });
          if (r) return r;
        }
      }
      if (node.rest) {
        for (let j = i; j <= parts.length; j++) {
          if (parts.slice(i, j).some((p) => p === "")) break;
          const r = walk(node.rest.node, j, {
            ...params,
            [node.rest.name]: j > i ? `/${parts.slice(i, j).join("/")}` : "",
          });
          if (r) return r;
        }
      }
      return undefined;
    };
    return walk(this.root, 0, {}) ?? (pathExists ? "method" : undefined);
  }
}
