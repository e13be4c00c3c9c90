// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { checkGrid, editUserForm, gridBody, gridPatch, newGridForm, newUserForm, patchOf, refusalAt, rolesFor,
  unrender, userBody } from "@/console/team/team-form";
import { userQuery } from "@/console/team/people";

describe("a new user", () => {
  it("is sent with what the form holds, a skill level only for reps and guides", () => {
    const form = { ...newUserForm("shanghai"), email: " rep9@demo.battlemap ", name: "孙磊", password: "Xq7!long-pass",
      grid: "sh-pudong", tags: ["医疗器械"] };
    expect(userBody(form)).toEqual({ email: "rep9@demo.battlemap", name: "孙磊", password: "Xq7!long-pass", role: "rep",
      region: "shanghai", grid: "sh-pudong", skill_level: "junior", tags: ["医疗器械"] });
    expect(userBody({ ...form, role: "manager" }).skill_level).toBeUndefined();
  });

  it("a manager may give the rep and guide roles only", () => {
    expect(rolesFor({ role: "manager" })).toEqual(["rep", "guide"]);
    expect(rolesFor({ role: "admin" })).toContain("manager");
  });

  it("the server's password reasons come back as catalogue messages with their facts", () => {
    const err = { code: "weak_password", fields: { password: ["at least 10 characters", "a common password"] } };
    expect(refusalAt(err).password).toEqual([
      { path: "team.password.too_short", params: { min_length: "10" } },
      { path: "team.password.common", params: {} },
    ]);
  });

  it("a taken email is said at the email field; an unknown grid at the grid", () => {
    expect(refusalAt({ code: "user_exists", fields: {} }).email).toEqual([{ key: "user_exists" }]);
    expect(refusalAt({ code: "invalid_values", fields: { grid: ["unknown grid sh-nowhere"] } }).grid)
      .toEqual([{ path: "team.problems.unknown_grid", params: { value: "sh-nowhere" } }]);
    expect(unrender("something else entirely")).toBeNull();
  });
});

describe("changing a user or a grid", () => {
  it("sends only what changed; no grid is null", () => {
    const user = { skill_level: "junior", tags: ["医疗器械"], grid: "sh-pudong", active: true };
    const form = editUserForm(user);
    expect(patchOf(editUserForm(user), form)).toEqual({});
    form.skill_level = "senior";
    form.grid = "";
    expect(patchOf(editUserForm(user), form)).toEqual({ skill_level: "senior", grid: null });
    form.tags.push("集采经验");
    expect(patchOf(editUserForm(user), form).tags).toEqual(["医疗器械", "集采经验"]);
  });

  it("a grid's leader is a user id, its limit a number", () => {
    const form = { ...newGridForm("shanghai"), key: "sh-minhang", name: "闵行网格", leader: "12", discount_limit_cny: 30000 };
    expect(gridBody(form)).toEqual({ key: "sh-minhang", name: "闵行网格", region: "shanghai", leader: 12, discount_limit_cny: 30000 });
    const grid = { key: "sh-minhang", name: "闵行网格", leader: 12, discount_limit_cny: 30000 };
    expect(gridPatch(grid, { name: "闵行网格", leader: "", discount_limit_cny: "40000" })).toEqual({ leader: null, discount_limit_cny: 40000 });
  });

  it("a grid key is checked as the server checks it", () => {
    expect(checkGrid({ ...newGridForm(), key: "SH Pudong", name: "x" }, { creating: true }).key).toBeTruthy();
    expect(checkGrid({ ...newGridForm(), key: "sh_pudong-2", name: "x" }, { creating: true })).toEqual({});
  });

  it("filters become a query with only what is set", () => {
    expect(userQuery({ role: "rep", grid: "", active: "false", q: "李" })).toBe("?role=rep&q=%E6%9D%8E&active=false");
    expect(userQuery({})).toBe("");
  });
});
