import { describe, expect, it } from "vitest";
import { CHECK_KEYS, messageText } from "@/console/packs/messages";
import { catalogues } from "@/core/catalogues";

describe("the pack checker's messages in the manager's language", () => {
  it("renders the schema's sentences with their values", () => {
    expect(messageText("Length must be at least 3", "zh")).toBe("至少需要 3 项");
    expect(messageText("Length must be at least 3", "en")).toBe("At least 3 needed");
    expect(messageText("Missing data for required field.", "zh")).toBe("必填");
    expect(messageText("Duplicate id 'pl-tt-a' (first used at talk_tracks[0])", "zh")).toBe("id「pl-tt-a」重复（talk_tracks[0] 已经用过）");
    expect(messageText("Not among the pack's categories: private_hospital", "en")).toBe("Not among the pack's categories: private_hospital");
    expect(messageText("Must be one of: prospecting, discovery", "zh")).toContain("prospecting, discovery");
  });

  it("shows a sentence it does not know as the server wrote it", () => {
    expect(messageText("Already used by pack 'other-pack'", "zh")).toBe("Already used by pack 'other-pack'");
  });

  it("has every message in both catalogues", () => {
    for (const [locale, cat] of Object.entries(catalogues)) {
      expect(CHECK_KEYS.filter((k) => typeof cat.app.console.packs.check[k] !== "string"), locale).toEqual([]);
    }
  });
});
