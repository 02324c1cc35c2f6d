// Bilinear resizing of interleaved (height x width x channels) float images. Pure: the engine
// resizes folder images with it, and scoring resizes new images the same way.

/**
 * Resizes `src` (srcHeight x srcWidth x channels, row-major, channels interleaved) to
 * dstHeight x dstWidth. Pixel centres are aligned (half-pixel offsets, edges clamped), as in
 * OpenCV's INTER_LINEAR and TensorFlow's resize_bilinear(half_pixel_centers=True); no
 * antialiasing, so strong downscaling skips detail rather than averaging it.
 */
export function resizeBilinear(
  src: Float32Array, srcHeight: number, srcWidth: number, channels: number, dstHeight: number, dstWidth: number,
): Float32Array {
  if (src.length !== srcHeight * srcWidth * channels) throw new Error(`resizeBilinear: ${src.length} values is not ${srcHeight}x${srcWidth}x${channels}`);
  if (srcHeight === dstHeight && srcWidth === dstWidth) return src.slice();
  const out = new Float32Array(dstHeight * dstWidth * channels);
  const xs = sampling(srcWidth, dstWidth);
  const ys = sampling(srcHeight, dstHeight);
  for (let y = 0; y < dstHeight; y++) {
    const row0 = ys.lo[y] * srcWidth;
    const row1 = ys.hi[y] * srcWidth;
    const fy = ys.frac[y];
    for (let x = 0; x < dstWidth; x++) {
      const x0 = xs.lo[x];
      const x1 = xs.hi[x];
      const fx = xs.frac[x];
      for (let c = 0; c < channels; c++) {
        const top = src[(row0 + x0) * channels + c] * (1 - fx) + src[(row0 + x1) * channels + c] * fx;
        const bottom = src[(row1 + x0) * channels + c] * (1 - fx) + src[(row1 + x1) * channels + c] * fx;
        out[(y * dstWidth + x) * channels + c] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
}

/** For each output coordinate: the two source neighbours and the weight of the second. */
function sampling(srcSize: number, dstSize: number): { lo: Int32Array; hi: Int32Array; frac: Float32Array } {
  const lo = new Int32Array(dstSize);
  const hi = new Int32Array(dstSize);
  const frac = new Float32Array(dstSize);
  const scale = srcSize / dstSize;
  for (let i = 0; i < dstSize; i++) {
    const s = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), srcSize - 1);
    lo[i] = Math.floor(s);
    hi[i] = Math.min(lo[i] + 1, srcSize - 1);
    frac[i] = s - lo[i];
  }
  return { lo, hi, frac };
}
