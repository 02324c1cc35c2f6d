// Structural similarity (Wang et al. 2004), written by hand so the webview and the CLI agree
// without TensorFlow. Matches scikit-image structural_similarity(gaussian_weights=True,
// sigma=1.5, use_sample_covariance=False, data_range=1): an 11x11 Gaussian window, population
// (co)variances, and the mean taken over window positions that lie fully inside the image.

const K1 = 0.01;
const K2 = 0.03;
const DATA_RANGE = 1;
/** The stabilising constants and window, shared with the differentiable SSIM in engine/losses.ts. */
export const SSIM_C1 = (K1 * DATA_RANGE) ** 2;
export const SSIM_C2 = (K2 * DATA_RANGE) ** 2;
export const SSIM_WINDOW_SIZE = 11;
export const SSIM_WINDOW_SIGMA = 1.5;
const C1 = SSIM_C1;
const C2 = SSIM_C2;
const WINDOW_SIZE = SSIM_WINDOW_SIZE;
const WINDOW_SIGMA = SSIM_WINDOW_SIGMA;

/** A 1-D Gaussian of odd `size` taps centred on the middle tap, normalised to sum 1. */
export function gaussianKernel1d(size = WINDOW_SIZE, sigma = WINDOW_SIGMA): Float64Array {
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0) throw new RangeError(`kernel size must be a positive odd integer, got ${size}`);
  if (!(sigma > 0)) throw new RangeError(`kernel sigma must be positive, got ${sigma}`);
  const radius = (size - 1) / 2;
  const kernel = new Float64Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const x = i - radius;
    kernel[i] = Math.exp((-x * x) / (2 * sigma * sigma));
    sum += kernel[i];
  }
  for (let i = 0; i < size; i++) kernel[i] /= sum;
  return kernel;
}

// The default window is built once: ssim runs once per test image.
const DEFAULT_KERNEL = gaussianKernel1d();

/**
 * Local SSIM at every window position that lies fully inside the image, row-major, of size
 * (width - 10) x (height - 10). Pixel values are expected in [0, 1].
 */
export function ssimMap(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number): Float64Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < WINDOW_SIZE || height < WINDOW_SIZE) {
    throw new RangeError(`SSIM needs images of at least ${WINDOW_SIZE}x${WINDOW_SIZE} pixels, got ${width}x${height}`);
  }
  const pixels = width * height;
  if (a.length !== pixels || b.length !== pixels) {
    throw new RangeError(`SSIM images must have ${width}x${height} = ${pixels} pixels, got ${a.length} and ${b.length}`);
  }
  const kernel = DEFAULT_KERNEL;
  const taps = kernel.length;
  const outW = width - taps + 1;
  const outH = height - taps + 1;

  // Horizontal pass over every row, valid columns only, for the five filtered quantities at once.
  const rowSize = height * outW;
  const hA = new Float64Array(rowSize);
  const hB = new Float64Array(rowSize);
  const hAA = new Float64Array(rowSize);
  const hBB = new Float64Array(rowSize);
  const hAB = new Float64Array(rowSize);
  for (let y = 0; y < height; y++) {
    const rowStart = y * width;
    for (let x = 0; x < outW; x++) {
      let sA = 0, sB = 0, sAA = 0, sBB = 0, sAB = 0;
      for (let k = 0; k < taps; k++) {
        const w = kernel[k];
        const va = a[rowStart + x + k];
        const vb = b[rowStart + x + k];
        sA += w * va;
        sB += w * vb;
        sAA += w * va * va;
        sBB += w * vb * vb;
        sAB += w * va * vb;
      }
      const o = y * outW + x;
      hA[o] = sA; hB[o] = sB; hAA[o] = sAA; hBB[o] = sBB; hAB[o] = sAB;
    }
  }

  // Vertical pass over the valid rows, then the SSIM formula per window.
  const map = new Float64Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let muA = 0, muB = 0, eAA = 0, eBB = 0, eAB = 0;
      for (let k = 0; k < taps; k++) {
        const w = kernel[k];
        const o = (y + k) * outW + x;
        muA += w * hA[o];
        muB += w * hB[o];
        eAA += w * hAA[o];
        eBB += w * hBB[o];
        eAB += w * hAB[o];
      }
      const varA = eAA - muA * muA;
      const varB = eBB - muB * muB;
      const cov = eAB - muA * muB;
      map[y * outW + x] = ((2 * muA * muB + C1) * (2 * cov + C2)) / ((muA * muA + muB * muB + C1) * (varA + varB + C2));
    }
  }
  return map;
}

/** Mean SSIM of two width x height images with pixel values in [0, 1]; 1 means identical. */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number): number {
  const map = ssimMap(a, b, width, height);
  let sum = 0;
  for (let i = 0; i < map.length; i++) sum += map[i];
  return sum / map.length;
}

/**
 * Mean SSIM of two height x width x channels images with interleaved channels (RGB as decoded):
 * each channel's mean SSIM, averaged over channels, as scikit-image's structural_similarity
 * with channel_axis=-1.
 */
export function ssimChannels(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number, channels: number): number {
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`channels must be a positive integer, got ${channels}`);
  if (channels === 1) return ssim(a, b, width, height);
  const pixels = width * height;
  if (a.length !== pixels * channels || b.length !== pixels * channels) {
    throw new RangeError(`SSIM images must have ${width}x${height}x${channels} = ${pixels * channels} values, got ${a.length} and ${b.length}`);
  }
  const planeA = new Float64Array(pixels);
  const planeB = new Float64Array(pixels);
  let sum = 0;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < pixels; i++) {
      planeA[i] = a[i * channels + c];
      planeB[i] = b[i * channels + c];
    }
    sum += ssim(planeA, planeB, width, height);
  }
  return sum / channels;
}
