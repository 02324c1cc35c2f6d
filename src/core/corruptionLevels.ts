// Default corruption level per type. One shared default (0.2) did nothing for blur (sigma 0.2 px
// leaves every MNIST image byte-identical) and little for speckle, so each type has its own,
// chosen to change a test image visibly (mean absolute pixel change in parentheses, measured on
// the first 1,000 MNIST test images; docs/STUDY.md). The schema's level description says the same.
import type { CorruptionType } from './experiment.generated';

export const DEFAULT_CORRUPTION_LEVELS: Readonly<Record<CorruptionType, number>> = {
  gaussian: 0.2, // std 0.2 (0.087)
  'salt-and-pepper': 0.1, // 10% of pixels (0.050)
  speckle: 1, // multiplicative std 1 (0.049)
  uniform: 0.3, // half-width 0.3 (0.082)
  occlusion: 0.4, // block side 0.4 x 28 = 11 px (0.119)
  blur: 1, // sigma 1 px (0.056)
};

/** The level a corruption of `type` uses: the one written, else the type's default. */
export function corruptionLevel(type: CorruptionType, level: number | undefined): number {
  return level ?? DEFAULT_CORRUPTION_LEVELS[type];
}
