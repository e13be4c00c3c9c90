// House rules of the client, checked over the sources (what a lint rule would say, without a linter to install).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogues } from "@/core/catalogues";

const SRC = new URL(".", import.meta.url).pathname;

function sources(dir = SRC) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(js|vue)$/.test(name) && !name.endsWith(".spec.js") ? [path] : [];
  });
}

function has(cat, key) {
  return typeof key.split(".").reduce((node, k) => (node && typeof node === "object" ? node[k] : undefined), cat) === "string";
}

describe("the client's sources", () => {
  it("use only message keys that both catalogues have", () => {
    const missing = [];
    for (const file of sources()) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\bt\(\s*["']([\w.]+)["']/g)) {
        for (const [locale, cat] of Object.entries(catalogues)) {
          if (!has(cat, m[1])) missing.push(`${relative(SRC, file)}: ${m[1]} (${locale})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("open IndexedDB in one module only", () => {
    const offenders = sources().filter((f) => !f.endsWith("core/db.js"))
      .filter((f) => /from\s+["']dexie["']/.test(readFileSync(f, "utf8")));
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });

  it("emit on the socket in one module only", () => {
    const offenders = sources().filter((f) => !f.endsWith("core/socket.js"))
      .filter((f) => /socket\.io-client/.test(readFileSync(f, "utf8")));
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });

  it("show no Chinese written into a component: words come from the catalogues", () => {
    const offenders = [];
    for (const file of sources()) {
      readFileSync(file, "utf8").split("\n").forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, "").replace(/<!--.*?-->/g, "").replace(/^\s*\*.*$/, "");
        if (/[\u3400-\u9fff]/.test(code) && !code.includes('"中文"')) offenders.push(`${relative(SRC, file)}:${i + 1}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
