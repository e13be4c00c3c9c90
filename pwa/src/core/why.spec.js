import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorText, normalizeLocale, renderWhy } from "@/core/why";

// Rendered by the server's app/i18n.py (scripts/make_why_fixture.py): the offline card must say the same.
const fixture = JSON.parse(readFileSync(new URL("../../../tests/fixtures/why_render.json", import.meta.url), "utf8"));

describe("renderWhy mirrors app/i18n.py", () => {
  for (const locale of ["zh", "en"]) {
    it(`renders every fixture entry as the server does (${locale})`, () => {
      const ours = fixture.entries.map((e) => renderWhy(e, locale, fixture.names));
      expect(ours).toEqual(fixture.rendered[locale]);
    });
  }

  it("leaves no Chinese in English apart from the facts that are user content", () => {
    const userContent = /「[^」]*」|“[^”]*”|"[^"]*"/g;
    for (const [i, e] of fixture.entries.entries()) {
      let text = renderWhy(e, "en", fixture.names);
      const strip = (v) => {
        if (typeof v === "string") text = text.split(v).join("");
        else if (Array.isArray(v)) v.forEach(strip);
        else if (v && typeof v === "object") Object.values(v).forEach(strip);
      };
      strip(e.facts || {});
      expect(text.replace(userContent, ""), `entry ${i}`).not.toMatch(/[\u3400-\u9fff]/);
    }
  });

  it("normalises locales and names errors in the rep's language", () => {
    expect(normalizeLocale("en-US")).toBe("en");
    expect(normalizeLocale("fr")).toBe("zh");
    expect(errorText("invalid_credentials", "zh")).toBe("邮箱或密码错误");
    expect(errorText("no_such_code", "en", "fallback")).toBe("fallback");
  });
});
