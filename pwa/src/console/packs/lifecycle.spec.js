import { describe, expect, it } from "vitest";
import {
  allowedSteps, defaultDiffPair, defaultVersion, displayStatus, isoFromLocalInput, localInputValue, reviewState, statusTags,
} from "@/console/packs/lifecycle";

const v = (number, status, extra = {}) => ({ number, status, ...extra });

describe("a version's status and steps", () => {
  it("calls an in-review version with a publishing time scheduled, and tags a live one with an expiry", () => {
    expect(displayStatus(v(2, "in_review", { publish_at: "2027-01-05T00:00:00Z" }))).toBe("scheduled");
    expect(displayStatus(v(2, "in_review"))).toBe("in_review");
    expect(statusTags(v(1, "published", { expires_at: "2027-01-05T00:00:00Z" }))).toEqual(["published", "expiring"]);
  });

  it("offers the steps the status allows (docs/packs-api.md)", () => {
    expect(allowedSteps(v(1, "draft"))).toEqual(["submit"]);
    expect(allowedSteps(v(1, "in_review"))).toEqual(["approve", "reject", "publish", "schedule"]);
    expect(allowedSteps(v(1, "published"))).toEqual(["expire"]);
    expect(allowedSteps(v(1, "superseded"))).toEqual(["rollback"]);
    expect(allowedSteps(v(1, "expired"))).toEqual(["rollback"]);
    expect(allowedSteps(v(1, "rejected"))).toEqual([]);
  });

  it("tells the author that another manager must approve, and a colleague that they may", () => {
    const mine = v(3, "in_review", { created_by: { id: 7, name: "张经理" }, review: { required: true, approved: false } });
    expect(reviewState(mine, 7)).toBe("needs_other");
    expect(reviewState(mine, 8)).toBe("can_approve");
    expect(reviewState({ ...mine, review: { required: false } }, 7)).toBe("can_approve");
    expect(reviewState({ ...mine, review: { required: true, approved: true } }, 7)).toBe("approved");
    expect(reviewState({ ...mine, created_by: null, created_by_id: 7 }, 7)).toBe("needs_other");
    expect(reviewState(v(3, "draft"), 7)).toBe(null);
  });
});

describe("what the pack page opens", () => {
  const versions = [v(1, "superseded"), v(2, "published"), v(3, "draft", { based_on: 1 }), v(4, "rejected")];

  it("opens the newest version still moving, else the live one, else the latest", () => {
    expect(defaultVersion(versions).number).toBe(3);
    expect(defaultVersion([v(1, "superseded"), v(2, "published"), v(3, "rejected")]).number).toBe(2);
    expect(defaultVersion([v(1, "expired"), v(2, "rejected")]).number).toBe(2);
    expect(defaultVersion([])).toBe(null);
  });

  it("compares the shown version with the one it was based on, else the one before it", () => {
    expect(defaultDiffPair(versions, versions[2])).toEqual({ from: 1, to: 3 });
    expect(defaultDiffPair(versions, versions[1])).toEqual({ from: 1, to: 2 });
    expect(defaultDiffPair(versions, versions[0])).toEqual({ from: 2, to: 1 });
    expect(defaultDiffPair([v(1, "draft")], null)).toEqual({ from: null, to: 1 });
  });

  it("turns a datetime-local value into an instant and back", () => {
    const iso = isoFromLocalInput("2027-01-05T08:30");
    expect(localInputValue(iso)).toBe("2027-01-05T08:30");
    expect(isoFromLocalInput("")).toBe(null);
    expect(localInputValue(null)).toBe("");
  });
});
