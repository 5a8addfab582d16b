/**
 * A small, strict-enough XML reader for nvidia-smi's `-q -x` documents: elements, attributes, text
 * and the five predefined entities plus numeric character references. It skips the XML declaration,
 * DOCTYPE, comments and processing instructions, and ignores whitespace-only text between elements.
 * It is not a general XML parser (no namespaces, no DTD entities); malformed input throws XmlError.
 */

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated character data directly inside this element, trimmed. */
  readonly text: string;
}

export class XmlError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = "XmlError";
  }
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(raw: string, offset: number): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (_m, ent: string) => {
    if (ent.startsWith("#x")) return String.fromCodePoint(Number.parseInt(ent.slice(2), 16));
    if (ent.startsWith("#")) return String.fromCodePoint(Number.parseInt(ent.slice(1), 10));
    const v = ENTITIES[ent];
    if (v === undefined) throw new XmlError(`unknown entity &${ent};`, offset);
    return v;
  });
}

interface Building {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string[];
}

const NAME = /[A-Za-z_][\w.:-]*/y;
const ATTR = /\s*([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;

/** Parses a document and returns its root element. */
export function parseXml(source: string): XmlElement {
  const stack: Building[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const n = source.length;

  const close = (b: Building): XmlElement => ({
    name: b.name,
    attrs: b.attrs,
    children: b.children,
    text: b.text.join("").trim(),
  });
  const attach = (el: XmlElement, at: number) => {
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) throw new XmlError("more than one root element", at);
    else root = el;
  };

  while (i < n) {
    const lt = source.indexOf("<", i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      const raw = source.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.text.push(decode(raw, i));
      else if (raw.trim() !== "") throw new XmlError("text outside the root element", i);
    }
    if (lt === -1) break;
    i = lt;
    if (source.startsWith("<!--", i)) {
      const end = source.indexOf("-->", i + 4);
      if (end === -1) throw new XmlError("unterminated comment", i);
      i = end + 3;
    } else if (source.startsWith("<?", i)) {
      const end = source.indexOf("?>", i + 2);
      if (end === -1) throw new XmlError("unterminated processing instruction", i);
      i = end + 2;
    } else if (source.startsWith("<![CDATA[", i)) {
      const end = source.indexOf("]]>", i + 9);
      if (end === -1) throw new XmlError("unterminated CDATA", i);
      stack[stack.length - 1]?.text.push(source.slice(i + 9, end));
      i = end + 3;
    } else if (source.startsWith("<!", i)) {
      // DOCTYPE (possibly with an internal subset in brackets).
      let depth = 0;
      let j = i + 2;
      for (; j < n; j++) {
        const c = source[j];
        if (c === "[") depth++;
        else if (c === "]") depth--;
        else if (c === ">" && depth <= 0) break;
      }
      if (j >= n) throw new XmlError("unterminated declaration", i);
      i = j + 1;
    } else if (source.startsWith("</", i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(source);
      if (!m) throw new XmlError("bad closing tag", i);
      const end = source.indexOf(">", NAME.lastIndex);
      if (end === -1 || source.slice(NAME.lastIndex, end).trim() !== "")
        throw new XmlError("bad closing tag", i);
      const open = stack.pop();
      if (!open || open.name !== m[0]) {
        throw new XmlError(`closing </${m[0]}> does not match <${open?.name ?? "(none)"}>`, i);
      }
      attach(close(open), i);
      i = end + 1;
    } else {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(source);
      if (!m) throw new XmlError("bad tag", i);
      let j = NAME.lastIndex;
      const attrs: Record<string, string> = {};
      for (;;) {
        ATTR.lastIndex = j;
        const a = ATTR.exec(source);
        if (!a) break;
        attrs[a[1]!] = decode(a[3] ?? a[4] ?? "", j);
        j = ATTR.lastIndex;
      }
      while (j < n && /\s/.test(source[j]!)) j++;
      const b: Building = { name: m[0], attrs, children: [], text: [] };
      if (source.startsWith("/>", j)) {
        attach(close(b), i);
        i = j + 2;
      } else if (source[j] === ">") {
        stack.push(b);
        i = j + 1;
      } else {
        throw new XmlError(`bad tag <${m[0]}`, i);
      }
    }
  }
  if (stack.length > 0) throw new XmlError(`unclosed <${stack[stack.length - 1]!.name}>`, n);
  if (!root) throw new XmlError("no root element", 0);
  return root;
}

/** The first child element with this name, if any. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

/** All child elements with this name. */
export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

/** Follows a path of child names (`a/b/c`) and returns the element's text, or undefined when absent. */
export function textAt(el: XmlElement | undefined, path: string): string | undefined {
  let cur = el;
  for (const part of path.split("/")) {
    cur = child(cur, part);
    if (!cur) return undefined;
  }
  return cur?.text;
}
