import { describe, expect, it } from "vitest";
import { wgs84ToGcj02 } from "@/core/coords";

// Values from geo/coords.py wgs84_to_gcj02 (the server's conversion), so map layers and imports agree.
const CASES = [
  [[31.2304, 121.4737], [31.22845773757727, 121.47822305927693]],
  [[39.9042, 116.4074], [39.90560334316507, 116.41364225378803]],
  [[22.5431, 114.0579], [22.54038281422246, 114.06301399856547]],
  [[48.85, 2.35], [48.85, 2.35]],
];

describe("wgs84ToGcj02", () => {
  it.each(CASES)("%j → %j as geo/ computes it", (from, to) => {
    const [lat, lon] = wgs84ToGcj02(...from);
    expect(lat).toBeCloseTo(to[0], 10);
    expect(lon).toBeCloseTo(to[1], 10);
  });
});
