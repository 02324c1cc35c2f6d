// The mask outline the Results panel draws over a sample's original and difference images.
import { strict as assert } from 'node:assert';
import { MASK_OUTLINE_RGB, outlined } from '../../src/webview/results/heatmap';

describe('webview: mask outline', () => {
  it('colours the border pixels of the defect, not its inside nor anything outside', () => {
    // 5x4 image, a 3x3 defect at x 1..3, y 0..2: the top row lies on the image edge.
    const mask = [
      0, 1, 1, 1, 0,
      0, 1, 1, 1, 0,
      0, 1, 1, 1, 0,
      0, 0, 0, 0, 0,
    ];
    const rgba = new Uint8ClampedArray(5 * 4 * 4).fill(7);
    outlined(rgba, mask, 5, 4);
    const coloured = Array.from({ length: 20 }, (_, i) => (rgba[4 * i] === MASK_OUTLINE_RGB[0] && rgba[4 * i + 1] === MASK_OUTLINE_RGB[1] && rgba[4 * i + 2] === MASK_OUTLINE_RGB[2] ? 1 : 0));
    assert.deepEqual(coloured, [
      0, 1, 1, 1, 0,
      0, 1, 0, 1, 0,
      0, 1, 1, 1, 0,
      0, 0, 0, 0, 0,
    ]);
    // Alpha is kept, untouched pixels keep their value.
    assert.equal(rgba[4 * 7 + 3], 7);
    assert.equal(rgba[4 * 7], 7);
  });

  it('leaves the image alone without a mask', () => {
    const rgba = new Uint8ClampedArray(16).fill(3);
    assert.deepEqual(Array.from(outlined(rgba, undefined, 2, 2)), Array(16).fill(3));
  });
});
