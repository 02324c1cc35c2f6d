// Colour scale for the difference heatmaps: a perceptual "inferno"-like ramp, sampled from a few
// stops so the legend and the images agree. Pure: unit-tested in test/unit/panel-logic.test.ts.

const STOPS: readonly [number, number, number, number][] = [
  [0.0, 0, 0, 4],
  [0.25, 87, 16, 110],
  [0.5, 188, 55, 84],
  [0.75, 249, 142, 9],
  [1.0, 252, 255, 164],
];

/** RGB of the colour scale at t in [0, 1] (clamped). */
export function heatColor(t: number): [number, number, number] {
  const x = !(t > 0) ? 0 : t >= 1 ? 1 : t;
  for (let i = 1; i < STOPS.length; i++) {
    const [t1, r1, g1, b1] = STOPS[i];
    if (x <= t1) {
      const [t0, r0, g0, b0] = STOPS[i - 1];
      const f = (x - t0) / (t1 - t0);
      return [Math.round(r0 + f * (r1 - r0)), Math.round(g0 + f * (g1 - g0)), Math.round(b0 + f * (b1 - b0))];
    }
  }
  const last = STOPS[STOPS.length - 1];
  return [last[1], last[2], last[3]];
}

/** |input - reconstruction| per pixel, in bytes 0..255. */
export function differencePlane(input: ArrayLike<number>, reconstruction: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = Math.abs(input[i] - reconstruction[i]);
  return out;
}

/**
 * The top of the shared colour scale for a set of difference planes: their largest value,
 * rounded up to a tenth of the range so the legend reads cleanly; never 0.
 */
export function scaleMaximum(planes: readonly ArrayLike<number>[]): number {
  let max = 0;
  for (const p of planes) for (let i = 0; i < p.length; i++) if (p[i] > max) max = p[i];
  const tenths = Math.ceil((max / 255) * 10) / 10;
  return Math.max(0.1, Math.min(1, tenths)) * 255;
}

/** RGBA pixels of a grey image (bytes 0..255). */
export function greyToRgba(plane: ArrayLike<number>): Uint8ClampedArray {
  const out = new Uint8ClampedArray(plane.length * 4);
  for (let i = 0; i < plane.length; i++) {
    const v = plane[i];
    out[4 * i] = v;
    out[4 * i + 1] = v;
    out[4 * i + 2] = v;
    out[4 * i + 3] = 255;
  }
  return out;
}

/** RGBA pixels of a difference plane through the colour scale, 0..scaleMax mapped to 0..1. */
export function heatToRgba(plane: ArrayLike<number>, scaleMax: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(plane.length * 4);
  for (let i = 0; i < plane.length; i++) {
    const [r, g, b] = heatColor(plane[i] / scaleMax);
    out[4 * i] = r;
    out[4 * i + 1] = g;
    out[4 * i + 2] = b;
    out[4 * i + 3] = 255;
  }
  return out;
}

/** Colour of the defect mask's outline: cyan stands out on grey pixels and on the heat map. */
export const MASK_OUTLINE_RGB = [0, 220, 255] as const;

/** Draws the outline of `mask` (defect pixels with a non-defect 4-neighbour or on the edge) over `rgba`. */
export function outlined(rgba: Uint8ClampedArray, mask: ArrayLike<number> | undefined, width: number, height: number): Uint8ClampedArray {
  if (!mask) return rgba;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= width || y >= height ? 0 : mask[y * width + x]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!at(x, y) || (at(x - 1, y) && at(x + 1, y) && at(x, y - 1) && at(x, y + 1))) continue;
      rgba.set(MASK_OUTLINE_RGB, 4 * (y * width + x));
    }
  }
  return rgba;
}
