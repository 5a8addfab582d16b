import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { type Column, emit, grid, outputFormat, streamed, TableStream, table } from "./output.js";

interface Row {
  readonly name: string;
  readonly gpu: string;
  readonly node: string;
}

const COLUMNS: readonly Column<Row>[] = [
  { header: "NAME", cell: (r) => r.name },
  { header: "NODE", cell: (r) => r.node, wide: true },
  { header: "GPU", cell: (r) => r.gpu },
];
const ROWS: readonly Row[] = [
  { name: "train", gpu: "1 GPU", node: "gpu-host-1" },
  { name: "infer-long-name", gpu: "25%", node: "h2" },
];

describe("outputFormat", () => {
  it.each([
    [undefined, "table"],
    ["table", "table"],
    ["wide", "wide"],
    ["json", "json"],
    ["yaml", "yaml"],
  ] as const)("-o %s is %s", (given, format) => {
    expect(outputFormat({ output: given })).toBe(format);
    expect(outputFormat(given)).toBe(format);
  });

  it("--json is an alias of -o json; it may repeat -o json but not contradict it", () => {
    expect(outputFormat({ json: true })).toBe("json");
    expect(outputFormat({ json: true, output: "json" })).toBe("json");
    expect(() => outputFormat({ json: true, output: "yaml" })).toThrow(
      expect.objectContaining({ code: "GP_INVALID_ARGUMENT" }),
    );
  });

  it("an unknown format is GP_INVALID_ARGUMENT naming the formats", () => {
    expect(() => outputFormat({ output: "xml" })).toThrow(
      expect.objectContaining({
        code: "GP_INVALID_ARGUMENT",
        message: '-o must be one of table, wide, json, yaml, got "xml"',
      }),
    );
  });

  it("a command's own default applies when no -o is given (get prints YAML)", () => {
    expect(outputFormat({}, "yaml")).toBe("yaml");
    expect(outputFormat({ output: "table" }, "yaml")).toBe("table");
  });
});

describe("tables", () => {
  it("pads each column to its widest cell and trims the line ends", () => {
    expect(
      grid(
        ["A", "BB"],
        [
          ["xyz", "1"],
          ["", ""],
        ],
      ),
    ).toBe("A    BB\nxyz  1\n\n");
  });

  it("an empty list prints the header only", () => {
    expect(table(COLUMNS, [])).toBe("NAME  GPU\n");
  });

  it("wide columns appear with -o wide only, in their place", () => {
    expect(table(COLUMNS, ROWS)).toBe("NAME             GPU\ntrain            1 GPU\ninfer-long-name  25%\n");
    expect(table(COLUMNS, ROWS, true).split("\n")[0]).toBe("NAME             NODE        GPU");
  });

  it("a table stream prints the header once and keeps the columns lined up as cells grow", () => {
    const s = new TableStream(COLUMNS);
    expect(s.rows([ROWS[0]!])).toBe("NAME   GPU\ntrain  1 GPU\n");
    expect(s.rows([])).toBe("");
    expect(s.rows([{ name: "a", gpu: "2 GPUs", node: "-" }])).toBe("a      2 GPUs\n");
  });
});

describe("emit", () => {
  const doc = { jobs: [{ id: "j-1", createdAt: "2026-12-02T10:00:00.000Z", memoryMiB: 512 }] };
  const write = () => {
    let out = "";
    return {
      w: (s: string) => {
        out += s;
      },
      out: () => out,
    };
  };

  it("json and yaml print the document as it is (raw units, ISO times); both parse back", () => {
    const j = write();
    emit("json", doc, () => "table", j.w);
    expect(JSON.parse(j.out())).toEqual(doc);
    const y = write();
    emit("yaml", doc, () => "table", y.w);
    expect(parseYaml(y.out())).toEqual(doc);
  });

  it("table and wide print what the renderer makes, told whether it is wide", () => {
    for (const [format, text] of [
      ["table", "narrow"],
      ["wide", "wide"],
    ] as const) {
      const t = write();
      emit(format, doc, (wide) => (wide ? "wide" : "narrow"), t.w);
      expect(t.out()).toBe(text);
    }
  });

  it("a stream item is one JSON line, or one YAML document", () => {
    expect(streamed("json", { a: 1 })).toBe('{"a":1}\n');
    expect(streamed("yaml", { a: 1 })).toBe("---\na: 1\n");
  });
});
