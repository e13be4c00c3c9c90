import { describe, expect, it } from "vitest";
import { routeLength, shortRoute } from "@/rep/route";

const P = (id, lat, lon) => ({ id, lat, lon });

describe("shortRoute", () => {
  it("visits every stop once", () => {
    const stops = [P(1, 31.2, 121.4), P(2, 31.25, 121.5), P(3, 31.21, 121.41), P(4, 31.3, 121.45)];
    const route = shortRoute(stops, { lat: 31.2, lon: 121.39 });
    expect(route.map((s) => s.id).sort()).toEqual([1, 2, 3, 4]);
  });

  it("is no longer than the order the rep picked them in, and untangles a crossing", () => {
    const start = { lat: 31.0, lon: 121.0 };
    const picked = [P(1, 31.0, 121.03), P(2, 31.0, 121.01), P(3, 31.0, 121.04), P(4, 31.0, 121.02)];
    const route = shortRoute(picked, start);
    expect(route.map((s) => s.id)).toEqual([2, 4, 1, 3]);
    expect(routeLength(start, route)).toBeLessThan(routeLength(start, picked));
  });
});
