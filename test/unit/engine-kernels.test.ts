// aelab's tfjs kernels against the stock cpu backend, and backend selection.
// Each case runs the same op, on the same data, on 'cpu' with stock kernels (the reference) and on
// 'wasm' with aelab's kernels installed, and compares within 1e-4 of the reference's magnitude.
import { strict as assert } from 'node:assert';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import wabt from 'wabt';
// tfjs-core's Node entry registers no gradients; tfjs-layers' bundle registers them all (as in the app).
import '@tensorflow/tfjs-layers';
import { initBackend, tensorflowAbsence, tfjsVersion } from '../../src/engine/backend';
import { aelabKernelNames, createAdam, FusedAdamOptimizer, installedKernels, installKernels, uninstallKernels } from '../../src/engine/kernels';
import {
  axisPhase, conv2dTransposeByCombinedPhases, conv2dTransposeByGemm, conv2dTransposeByPhases, transposeMethod,
} from '../../src/engine/kernels/conv2dTranspose';
import { conv2dByGemm } from '../../src/engine/kernels/conv2dForward';
import { cpuOps, wasmOps } from '../../src/engine/kernels/rawOps';
import { stockKernel } from '../../src/engine/kernels/registry';
import { generatedModules } from '../../src/engine/kernels/simd';
import '../../src/engine/kernels/batchNormSimd';
import { sleb, uleb } from '../../src/engine/kernels/wasmAsm';
import { deterministicValues as data } from './support/deterministic';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
type Shape4 = [number, number, number, number];

interface Out {
  shape: number[];
  values: Float32Array;
}


function tensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(data(shape.reduce((a, b) => a * b, 1), seed), shape);
}

async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor | tf.Tensor[]): Promise<Out[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(() => {
    const r = f();
    return Array.isArray(r) ? r : [r];
  });
  const res = outs.map((t) => ({ shape: t.shape, values: (t.dataSync() as Float32Array).slice() }));
  tf.dispose(outs);
  return res;
}

function assertClose(actual: Out[], expected: Out[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: number of outputs`);
  expected.forEach((e, i) => {
    const a = actual[i];
    assert.deepEqual(a.shape, e.shape, `${what} output ${i}: shape`);
    let scale = 1;
    for (const v of e.values) scale = Math.max(scale, Math.abs(v));
    let worst = 0;
    let at = -1;
    for (let j = 0; j < e.values.length; j++) {
      const d = Math.abs(a.values[j] - e.values[j]);
      if (!(d <= worst)) { worst = d; at = j; }
    }
    assert.ok(worst <= 1e-4 * scale, `${what} output ${i}: max |diff| ${worst} at ${at} (wasm ${a.values[at]}, cpu ${e.values[at]}) > ${1e-4 * scale}`);
  });
}

/** The op on stock cpu (reference) vs wasm with aelab's kernels. */
async function compareWasmToCpu(what: string, f: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  uninstallKernels('cpu');
  const expected = await on('cpu', f);
  installKernels('wasm');
  const actual = await on('wasm', f);
  assertClose(actual, expected, what);
}

function convOutShape(x: Shape4, filter: Shape4, strides: number | [number, number], pad: Pad): Shape4 {
  return tf.backend_util.computeConv2DInfo(x, filter, strides, 1, pad, undefined, false, 'channelsLast').outShape;
}

const convCases: Array<{ x: Shape4; filter: Shape4; strides: number | [number, number]; pad: Pad }> = [
  { x: [1, 7, 9, 1], filter: [3, 3, 1, 4], strides: 2, pad: 'same' },
  { x: [3, 8, 5, 3], filter: [2, 3, 3, 5], strides: 1, pad: 'valid' },
  { x: [3, 11, 10, 4], filter: [5, 5, 4, 2], strides: [2, 1], pad: 'same' },
  { x: [2, 9, 7, 3], filter: [3, 3, 3, 6], strides: 2, pad: 'valid' },
  { x: [3, 6, 7, 2], filter: [3, 3, 2, 3], strides: 2, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  { x: [1, 10, 10, 3], filter: [4, 4, 3, 8], strides: 2, pad: 'same' },
  { x: [2, 5, 5, 1], filter: [3, 3, 1, 1], strides: 1, pad: 1 },
  { x: [3, 28, 28, 1], filter: [3, 3, 1, 16], strides: 2, pad: 'same' },
  { x: [3, 14, 14, 16], filter: [3, 3, 16, 32], strides: 2, pad: 'same' },
  { x: [2, 8, 9, 5], filter: [3, 3, 5, 6], strides: 1, pad: 'same' },
  { x: [2, 10, 11, 4], filter: [3, 2, 4, 3], strides: 3, pad: 'same' },
  { x: [2, 9, 8, 4], filter: [2, 2, 4, 3], strides: 3, pad: 'valid' },
  { x: [1, 7, 7, 6], filter: [1, 1, 6, 5], strides: 2, pad: 'same' },
  { x: [2, 13, 12, 1], filter: [11, 1, 1, 1], strides: 1, pad: 'valid' },
  { x: [2, 3, 12, 1], filter: [1, 11, 1, 1], strides: 1, pad: 'valid' },
  // Filter gradients in column blocks of 12 and of 16 + 4.
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 12], strides: 2, pad: 'same' },
  { x: [2, 6, 6, 2], filter: [2, 2, 2, 20], strides: 1, pad: 'valid' },
  // 6 input channels: im2col copies 4 at a time, then 2 singly.
  { x: [2, 7, 6, 6], filter: [3, 3, 6, 16], strides: 1, pad: 'same' },
];

const label = (c: (typeof convCases)[number]) => `x [${c.x}] filter [${c.filter}] strides ${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)}`;

describe('engine kernels (wasm vs stock cpu)', function () {
  this.timeout(60000);

  before(async () => {
    await initBackend('wasm');
  });

  beforeEach(() => {
    installKernels('wasm');
    uninstallKernels('cpu');
  });

  after(async () => {
    installKernels('cpu');
    installKernels('wasm');
    await tf.setBackend('wasm');
  });

  it('installs every aelab kernel on wasm, and stock wasm really lacks Conv2DBackpropFilter', async () => {
    assert.deepEqual(installedKernels('wasm').sort(), aelabKernelNames('wasm').sort());
    assert.deepEqual(aelabKernelNames('wasm').sort(), ['Add', 'AelabAdam', 'AelabBatchNormGrad', 'AelabBatchNormTrain', 'BatchMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Identity', 'Slice', 'SplitV', 'Sum', 'Tile', '_FusedMatMul']);
    await tf.setBackend('wasm');
    uninstallKernels('wasm');
    try {
      assert.throws(() => tf.tidy(() => tf.engine().runKernel('Conv2DBackpropFilter',
        { x: tensor([1, 4, 4, 1], 1), dy: tensor([1, 2, 2, 1], 2) },
        { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 1] })), /not registered/);
    } finally {
      installKernels('wasm');
    }
  });

  describe('Conv2DBackpropFilter', () => {
    for (const c of convCases) {
      it(label(c), async () => {
        const dyShape = convOutShape(c.x, c.filter, c.strides, c.pad);
        await compareWasmToCpu('Conv2DBackpropFilter', () => tf.engine().runKernel('Conv2DBackpropFilter',
          { x: tensor(c.x, 1), dy: tensor(dyShape, 2) },
          { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter }) as tf.Tensor);
      });
    }
  });

  describe('Conv2DBackpropInput', () => {
    for (const c of convCases) {
      it(label(c), async () => {
        const dyShape = convOutShape(c.x, c.filter, c.strides, c.pad);
        await compareWasmToCpu('Conv2DBackpropInput', () => tf.engine().runKernel('Conv2DBackpropInput',
          { dy: tensor(dyShape, 3), filter: tensor(c.filter, 4) },
          { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x }) as tf.Tensor);
      });
    }
  });

  describe('conv2dByGemm (the stride-1 convolutions inside the transposed-convolution phases)', () => {
    for (const c of convCases) {
      it(label(c), async () => {
        const ours = c.filter[3] >= 16 && c.filter[3] % 4 === 0;
        const expected = await on('cpu', () => tf.conv2d(tensor(c.x, 37) as tf.Tensor4D, tensor(c.filter, 38) as tf.Tensor4D, c.strides, c.pad));
        const actual = await on('wasm', () => {
          const y = conv2dByGemm(tf.backend() as BackendWasm, tensor(c.x, 37), tensor(c.filter, 38), { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: 1 });
          assert.equal(y !== undefined, ours, 'taken only for 16+ out channels in multiples of 4');
          return y ? tf.engine().makeTensorFromTensorInfo(y) : tf.zeros(expected[0].shape);
        });
        if (ours) assertClose(actual, expected, `conv2dByGemm ${label(c)}`);
      });
    }
  });

  describe('Conv2DBackpropInput, each method on every case', () => {
    for (const c of convCases) {
      for (const method of ['phases', 'combined', 'gemm', 'phases on cpu', 'combined on cpu'] as const) {
        it(`${method}: ${label(c)}`, async () => {
          const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, undefined, false, 'channelsLast');
          const dyShape = info.outShape;
          uninstallKernels('cpu');
          const expected = await on('cpu', () => tf.engine().runKernel('Conv2DBackpropInput',
            { dy: tensor(dyShape, 3), filter: tensor(c.filter, 4) },
            { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x }) as tf.Tensor);
          const onCpu = method.endsWith('on cpu');
          const transpose = method === 'gemm' ? conv2dTransposeByGemm : method.startsWith('combined') ? conv2dTransposeByCombinedPhases : conv2dTransposeByPhases;
          const actual = await on(onCpu ? 'cpu' : 'wasm', () => {
            const dy = tensor(dyShape, 3);
            const filter = tensor(c.filter, 4);
            const dx = transpose(onCpu ? cpuOps(tf.backend()) : wasmOps(tf.backend()), dy, filter, info);
            return tf.engine().makeTensorFromTensorInfo(dx);
          });
          assertClose(actual, expected, `${method} ${label(c)}`);
        });
      }
    }

    it('chooses separate phases for many dx channels or stride 1, one combined convolution otherwise', () => {
      const method = (x: Shape4, filter: Shape4, strides: number) =>
        transposeMethod(tf.backend_util.computeConv2DInfo(x, filter, strides, 1, 'same', undefined, false, 'channelsLast'));
      assert.equal(method([64, 14, 14, 16], [3, 3, 16, 32], 2), 'phases');
      assert.equal(method([64, 14, 14, 8], [3, 3, 8, 16], 2), 'phases');
      assert.equal(method([64, 14, 14, 4], [3, 3, 4, 16], 2), 'combined');
      assert.equal(method([64, 28, 28, 1], [3, 3, 1, 16], 2), 'combined');
      assert.equal(method([320, 28, 28, 1], [11, 1, 1, 1], 1), 'phases');
    });

    it('splits an axis into phases that cover every output position once', () => {
      for (const [stride, filterSize, pad, inSize, outSize] of [[2, 3, 0, 14, 7], [2, 3, 1, 7, 4], [3, 2, 0, 9, 3], [1, 11, 0, 28, 18], [3, 1, 1, 10, 4]]) {
        const phases = Array.from({ length: stride }, (_, r) => axisPhase(r, stride, filterSize, pad, inSize, outSize));
        assert.equal(phases.reduce((sum, p) => sum + p.count, 0), inSize, `stride ${stride} filter ${filterSize}`);
        const taps = phases.reduce((sum, p) => sum + p.taps, 0);
        assert.equal(taps, filterSize, `every tap used once (stride ${stride} filter ${filterSize})`);
        for (const p of phases) assert.ok(p.padBefore >= 0 && p.padAfter >= 0 && p.skip >= 0);
      }
    });
  });

  it('rejects NCHW and dilations other than 1 with a clear error', async () => {
    await tf.setBackend('wasm');
    const run = (attrs: tf.NamedAttrMap) => tf.tidy(() => tf.engine().runKernel('Conv2DBackpropFilter',
      { x: tensor([1, 4, 4, 1], 1), dy: tensor([1, 2, 2, 1], 2) },
      { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 1], ...attrs }));
    assert.throws(() => run({ dataFormat: 'NCHW' }), /only NHWC/);
    assert.throws(() => run({ dilations: 2 }), /only dilation 1/);
  });

  describe('gradients through tf.grads', () => {
    const cases: Array<{ x: Shape4; filter: Shape4; strides: number; pad: 'same' | 'valid' }> = [
      { x: [3, 9, 9, 1], filter: [3, 3, 1, 4], strides: 2, pad: 'same' },
      { x: [1, 8, 7, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'valid' },
      { x: [2, 7, 7, 4], filter: [3, 3, 4, 3], strides: 2, pad: 'valid' },
    ];
    for (const c of cases) {
      it(`conv2d ${label(c)}`, async () => {
        const yShape = convOutShape(c.x, c.filter, c.strides, c.pad);
        await compareWasmToCpu('grad conv2d', () => {
          const r = tensor(yShape, 9);
          const f = (x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad), r));
          return tf.grads(f)([tensor(c.x, 5), tensor(c.filter, 6)]);
        });
      });
      it(`conv2dTranspose (the transpose of ${label(c)})`, async () => {
        // conv2dTranspose maps the conv output shape back to the conv input shape.
        const inShape = convOutShape(c.x, c.filter, c.strides, c.pad);
        await compareWasmToCpu('grad conv2dTranspose', () => {
          const r = tensor(c.x, 10);
          const f = (x: tf.Tensor, w: tf.Tensor) =>
            tf.sum(tf.mul(tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, c.x, c.strides, c.pad), r));
          return tf.grads(f)([tensor(inShape, 7), tensor(c.filter, 8)]);
        });
      });
    }
  });

  describe('BatchMatMul', () => {
    // "wide" favours the swapped form (a small), "tall" the direct form (b small); odd sizes take
    // XNNPACK, "dense" and "m4" (only m a multiple of 4: swapped) our unpacked GEMM.
    const sizes: Array<[string, number, number, number]> = [
      ['tiny', 5, 7, 3], ['wide', 63, 301, 197], ['tall', 199, 29, 65], ['dense', 64, 784, 128], ['m4', 12, 50, 7],
    ];
    for (const [name, m, k, n] of sizes) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          it(`${name} ${m}x${k}x${n} transposeA=${transposeA} transposeB=${transposeB}`, async () => {
            await compareWasmToCpu('matMul', () => {
              const a = tensor(transposeA ? [k, m] : [m, k], 11);
              const b = tensor(transposeB ? [n, k] : [k, n], 12);
              // Twice with the same b: the second call may take the cached (direct) path.
              return [tf.matMul(a, b, transposeA, transposeB), tf.matMul(a, b, transposeA, transposeB)];
            });
          });
        }
      }
    }
    const batched: Array<[string, number[], number[]]> = [
      ['batched a, shared b', [3, 5, 7], [7, 4]],
      ['batched a, shared b (rank 4)', [2, 3, 5, 7], [1, 7, 4]],
      ['batched a and b', [3, 5, 7], [3, 7, 4]],
      ['broadcast a over batched b', [5, 7], [3, 7, 4]],
      ['broadcast a (batch 1) over batched b', [1, 5, 7], [3, 7, 4]],
    ];
    for (const [name, aShape, bShape] of batched) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          it(`${name} [${aShape}] x [${bShape}] transposeA=${transposeA} transposeB=${transposeB}`, async () => {
            const ta = [...aShape];
            const tb = [...bShape];
            if (transposeA) [ta[ta.length - 2], ta[ta.length - 1]] = [ta[ta.length - 1], ta[ta.length - 2]];
            if (transposeB) [tb[tb.length - 2], tb[tb.length - 1]] = [tb[tb.length - 1], tb[tb.length - 2]];
            await compareWasmToCpu('batched matMul', () => tf.matMul(tensor(ta, 13), tensor(tb, 14), transposeA, transposeB));
          });
        }
      }
    }
  });

  describe('_FusedMatMul', () => {
    const sizes: Array<[string, number, number, number]> = [['tiny', 4, 6, 3], ['wide', 64, 300, 200], ['tall', 200, 30, 64]];
    for (const [name, m, k, n] of sizes) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          it(`${name} ${m}x${k}x${n} transposeA=${transposeA} transposeB=${transposeB}, relu+bias and linear`, async () => {
            await compareWasmToCpu('fused matMul', () => {
              const a = tensor(transposeA ? [k, m] : [m, k], 15);
              const b = tensor(transposeB ? [n, k] : [k, n], 16);
              const bias = tensor([n], 17);
              return [
                tf.fused.matMul({ a, b, transposeA, transposeB, bias, activation: 'relu' }),
                tf.fused.matMul({ a, b, transposeA, transposeB }),
              ];
            });
          });
        }
      }
    }
    for (const [name, m, k, n] of sizes.slice(1)) {
      it(`${name}: every activation, bias shapes [n] and [1], batched a`, async () => {
        await compareWasmToCpu('fused matMul activations', () => {
          const a = tensor([m, k], 18);
          const aT = tensor([k, m], 18);
          const b = tensor([k, n], 19);
          const bias = tensor([n], 20);
          const bias1 = tensor([1], 21);
          const alpha = tensor([n], 22);
          const outs: tf.Tensor[] = [];
          for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu'] as const) {
            outs.push(tf.fused.matMul({ a, b, bias, activation, leakyreluAlpha: 0.1 }));
            outs.push(tf.fused.matMul({ a: aT, b, transposeA: true, bias, activation, leakyreluAlpha: 0.1 }));
          }
          outs.push(tf.fused.matMul({ a, b, bias, activation: 'prelu', preluActivationWeights: alpha }));
          outs.push(tf.fused.matMul({ a: aT, b, transposeA: true, bias: bias1, activation: 'relu' }));
          outs.push(tf.fused.matMul({ a: tensor([3, m, k], 23), b, bias, activation: 'relu' }));
          // Batched b: composed from the stock batched product, Add and Relu.
          outs.push(tf.fused.matMul({ a: tensor([3, 5, k], 24), b: tensor([3, n, k], 25), transposeB: true, bias, activation: 'relu' }));
          return outs;
        });
      });
    }
  });

  describe('Tile', () => {
    const cases: Array<[number[], number[]]> = [
      [[1, 1, 1, 512], [1, 1, 64, 1]], [[2, 3], [3, 2]], [[5], [4]], [[2, 1, 3], [1, 5, 2]], [[3, 4, 1], [2, 1, 7]], [[2, 3], [1, 1]],
    ];
    for (const [shape, reps] of cases) {
      it(`[${shape}] reps [${reps}], float32 / int32 / bool`, async () => {
        await compareWasmToCpu('tile', () => {
          const x = tensor(shape, 26);
          return [tf.tile(x, reps), tf.cast(tf.tile(tf.cast(tf.mul(x, 100), 'int32'), reps), 'float32'),
            tf.cast(tf.tile(tf.greater(x, 0), reps), 'float32')];
        });
      });
    }
  });

  describe('FusedAdamOptimizer (the AelabAdam kernel)', () => {
    // Odd sizes cover the SIMD loop's scalar tail.
    const shapes = [[1], [3], [7, 5], [33], [2, 3, 3, 5]];

    /** `steps` Adam steps on fresh variables; optimizer `first` for `switchAt` steps, then `second` given first's weights. */
    async function train(first: () => tf.Optimizer, steps: number, second?: () => tf.Optimizer, switchAt = steps): Promise<Float32Array[]> {
      const variables = shapes.map((shape, i) => tf.variable(tensor(shape, 30 + i)));
      const targets = shapes.map((shape, i) => tensor(shape, 40 + i));
      const loss = () => tf.addN(variables.map((v, i) => tf.sum(tf.square(tf.sub(tf.mul(v, 1.5), targets[i]))))) as tf.Scalar;
      let optimizer = first();
      for (let step = 0; step < steps; step++) {
        if (step === switchAt && second) {
          const weights = await optimizer.getWeights();
          const next = second();
          await next.setWeights(weights);
          assert.equal(next.iterations, optimizer.iterations);
          optimizer.dispose();
          optimizer = next;
        }
        optimizer.minimize(loss, false, variables);
      }
      const values = variables.map((v) => (v.dataSync() as Float32Array).slice());
      optimizer.dispose();
      tf.dispose([...variables, ...targets]);
      return values;
    }

    function assertSame(actual: Float32Array[], expected: Float32Array[], what: string): void {
      actual.forEach((a, i) => a.forEach((value, j) => {
        assert.equal(value, expected[i][j], `${what}: variable ${i} element ${j}`);
      }));
    }

    for (const backend of ['wasm', 'cpu'] as const) {
      it(`${backend}: gives exactly tf.train.adam's values, step by step`, async () => {
        await tf.setBackend(backend);
        installKernels(backend);
        const expected = await train(() => tf.train.adam(0.01), 6);
        const actual = await train(() => createAdam(0.01), 6);
        assertSame(actual, expected, backend);
      });
    }

    it('wasm without the kernel: falls back to the stock ops', async () => {
      await tf.setBackend('wasm');
      const expected = await train(() => tf.train.adam(0.01, 0.8, 0.99, 1e-6), 4);
      uninstallKernels('wasm', ['AelabAdam']);
      try {
        assert.ok(!installedKernels('wasm').includes('AelabAdam'), 'the fused kernel is gone');
        const actual = await train(() => new FusedAdamOptimizer(0.01, 0.8, 0.99, 1e-6), 4);
        assertSame(actual, expected, 'fallback');
      } finally {
        installKernels('wasm');
      }
    });

    it('saves and restores its state like tf.train.adam (getWeights / setWeights, iterations)', async () => {
      await tf.setBackend('wasm');
      const expected = await train(() => tf.train.adam(0.01), 5);
      assertSame(await train(() => createAdam(0.01), 5, () => createAdam(0.01), 3), expected, 'fused -> fused');
      assertSame(await train(() => tf.train.adam(0.01), 5, () => createAdam(0.01), 3), expected, 'stock -> fused');
      const config = createAdam(0.01, 0.8, 0.95, 1e-5).getConfig();
      assert.deepEqual(config, { learningRate: 0.01, beta1: 0.8, beta2: 0.95, epsilon: 1e-5 });
    });
  });

  describe('Sum over all axes but the last', () => {
    const cases: Array<[number[], number | number[], boolean]> = [
      [[64, 14, 14, 16], [0, 1, 2], false], [[3, 5, 7], [0, 1], true], [[6, 1], 0, false], [[50, 13], [-2], true],
      [[2, 3, 4, 9], [2, 0, 1], false], [[1, 1, 5], [0, 1], false],
      // Not ours (stock): the last axis, everything, or a middle axis alone.
      [[4, 6], 1, false], [[4, 6], [0, 1], false], [[3, 4, 5], 1, true],
    ];
    for (const [shape, axis, keepDims] of cases) {
      it(`[${shape}] axis ${JSON.stringify(axis)} keepDims ${keepDims}`, async () => {
        await compareWasmToCpu('sum', () => tf.sum(tensor(shape, 27), axis, keepDims));
      });
    }

    it('adds in the stock kernel\'s order (the same float32 bits)', async () => {
      await tf.setBackend('wasm');
      const run = () => tf.tidy(() => (tf.sum(tf.mul(tensor([64, 7, 7, 32], 28), 1000), [0, 1, 2]).dataSync() as Float32Array).slice());
      const ours = run();
      uninstallKernels('wasm', ['Sum']);
      try {
        assert.deepEqual(ours, run());
      } finally {
        installKernels('wasm');
      }
    });
  });

  describe('Add of a bias', () => {
    const cases: Array<[number[], number[]]> = [
      [[64, 14, 14, 16], [16]], [[3, 5, 7], [1, 1, 7]], [[5, 7], [7]], [[2, 3, 4, 9], [1, 9]], [[4, 1], [1]],
      // Not ours (stock): same shapes, a middle-axis broadcast, a scalar, a bias of higher rank.
      [[4, 6], [4, 6]], [[4, 6], [4, 1]], [[4, 6], []], [[6], [6]], [[7], [1, 1, 7]],
    ];
    for (const [aShape, bShape] of cases) {
      it(`[${aShape}] + [${bShape}] and [${bShape}] + [${aShape}]`, async () => {
        await compareWasmToCpu('add', () => [tf.add(tensor(aShape, 29), tensor(bShape, 30)), tf.add(tensor(bShape, 31), tensor(aShape, 32))]);
      });
    }

    it('int32 and mixed operands still go to the stock kernel; a float32 bias does not', async () => {
      // Count calls of the stock wasm Add that ours displaced (runStock calls it through the registry).
      const stock = stockKernel('Add', 'wasm');
      const original = stock.kernelFunc;
      let stockCalls = 0;
      (stock as { kernelFunc: typeof original }).kernelFunc = (args) => { stockCalls++; return original(args); };
      try {
        await compareWasmToCpu('add int32', () => tf.cast(tf.add(tf.cast(tf.mul(tensor([3, 4], 33), 10), 'int32'), tf.tensor1d([1, 2, 3, 4], 'int32')), 'float32'));
        assert.ok(stockCalls > 0, 'the int32 add went to the stock kernel');
        await tf.setBackend('wasm');
        stockCalls = 0;
        tf.tidy(() => tf.add(tensor([64, 16], 34), tensor([16], 35)).dataSync());
        assert.equal(stockCalls, 0, 'the float32 bias add ran in our kernel');
      } finally {
        (stock as { kernelFunc: typeof original }).kernelFunc = original;
      }
    });
  });

  describe('Slice and SplitV', () => {
    const splits: Array<[number[], number | number[], number]> = [
      [[10, 6, 6, 1], 5, 0], [[9, 4, 3], [2, 3, 4], 0], [[1, 6, 4], [1, -1, 2], 1], [[3, 6, 4], 3, 1], [[3, 4, 6], [1, 5], -1],
    ];
    for (const [shape, numOrSizeSplits, axis] of splits) {
      it(`split [${shape}] into ${JSON.stringify(numOrSizeSplits)} along ${axis}, float32 / int32 / bool`, async () => {
        await compareWasmToCpu('split', () => {
          const x = tensor(shape, 34);
          return [
            ...tf.split(x, numOrSizeSplits, axis),
            ...tf.split(tf.cast(tf.mul(x, 100), 'int32'), numOrSizeSplits, axis).map((t) => tf.cast(t, 'float32')),
            ...tf.split(tf.greater(x, 0), numOrSizeSplits, axis).map((t) => tf.cast(t, 'float32')),
          ];
        });
      });
    }
    const slices: Array<[number[], number[], number[]]> = [
      [[5, 4, 3], [1, 0, 0], [3, 4, 3]], [[5, 4, 3], [2, 1, 0], [1, 2, 3]], [[5, 4, 3], [0, 1, 1], [5, 2, 2]], [[7], [2], [-1]], [[4, 3], [4, 0], [0, 3]],
    ];
    for (const [shape, begin, size] of slices) {
      it(`slice [${shape}] at [${begin}] size [${size}]`, async () => {
        await compareWasmToCpu('slice', () => [tf.slice(tensor(shape, 35), begin, size), tf.cast(tf.slice(tf.cast(tf.mul(tensor(shape, 35), 9), 'int32'), begin, size), 'float32')]);
      });
    }
  });

  it('Identity shares data: a clone outlives its source, and memory is freed with the last reference', async () => {
    await tf.setBackend('wasm');
    const backend = tf.engine().backend;
    const before = backend.numDataIds();
    tf.tidy(() => {
      const x = tensor([3, 4], 36);
      const expected = (x.dataSync() as Float32Array).slice();
      const copy = tf.clone(x);
      x.dispose();
      assert.deepEqual(copy.dataSync(), expected);
      const ints = tf.tensor1d([1, 2, 3], 'int32');
      const intCopy = tf.clone(ints);
      ints.dispose();
      assert.deepEqual([...intCopy.dataSync()], [1, 2, 3]);
      assert.deepEqual(tf.clone(tf.tensor1d(['a', 'b'], 'string')).dataSync(), ['a', 'b']);
    });
    assert.equal(backend.numDataIds(), before);
  });

  it('encodes LEB128 as the WebAssembly binary format does', () => {
    assert.deepEqual(uleb(0), [0]);
    assert.deepEqual(uleb(127), [0x7f]);
    assert.deepEqual(uleb(128), [0x80, 0x01]);
    assert.deepEqual(uleb(0xe3), [0xe3, 0x01]);
    assert.deepEqual(sleb(-1), [0x7f]);
    assert.deepEqual(sleb(-4), [0x7c]);
    assert.deepEqual(sleb(63), [0x3f]);
    assert.deepEqual(sleb(64), [0xc0, 0x00]);
    assert.deepEqual(sleb(-65), [0xbf, 0x7f]);
  });

  it('generated modules carry a name section (module and function names, read back by wabt)', async () => {
    const tools = await wabt();
    const modules = generatedModules();
    assert.deepEqual([...modules.keys()].sort(), ['aelab_batchnorm', 'aelab_simd']);
    for (const [name, bytes] of modules) {
      const module = tools.readWasm(bytes, { readDebugNames: true, simd: true });
      try {
        module.validate();
        module.applyNames();
        const text = module.toText({});
        assert.match(text, new RegExp(`^\\(module \\$${name}\\b`));
        const exported = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
        assert.ok(exported.length > 0);
        // Every exported function is named in the name section, so traces show its name.
        for (const fn of exported) assert.match(text, new RegExp(`\\(func \\$${fn} `), `${name}.${fn} has a name`);
      } finally {
        module.destroy();
      }
    }
  });

  it('leaks no wasm tensors (every intermediate is released)', async () => {
    await tf.setBackend('wasm');
    const ops = () => {
      const x = tensor([2, 9, 9, 3], 1);
      const w = tensor([3, 3, 3, 4], 2);
      const dy = tensor([2, 5, 5, 4], 3);
      const conv = { strides: 2, pad: 'same', dataFormat: 'NHWC' } as const;
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: [3, 3, 3, 4] });
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...conv, inputShape: [2, 9, 9, 3] });
      for (const [m, k, n] of [[64, 300, 200], [200, 30, 64]]) {
        for (const transposeA of [false, true]) {
          for (const transposeB of [false, true]) {
            const a = tensor(transposeA ? [k, m] : [m, k], 4);
            const b = tensor(transposeB ? [n, k] : [k, n], 5);
            tf.matMul(a, b, transposeA, transposeB);
            tf.fused.matMul({ a, b, transposeA, transposeB, bias: tensor([n], 6), activation: 'relu' });
            tf.fused.matMul({ a, b, transposeA, transposeB, bias: tensor([1], 6), activation: 'sigmoid' });
          }
        }
      }
      tf.tile(tensor([1, 1, 1, 8], 7), [1, 1, 4, 1]);
      // Both transposed-convolution methods, and the Adam kernel.
      tf.engine().runKernel('Conv2DBackpropInput', { dy: tensor([2, 5, 5, 4], 8), filter: tensor([3, 3, 1, 4], 9) }, { ...conv, inputShape: [2, 9, 9, 1] });
      tf.engine().runKernel('Conv2DBackpropInput', { dy: tensor([2, 5, 5, 4], 8), filter: tensor([2, 2, 3, 4], 9) }, { ...conv, strides: 3, inputShape: [2, 13, 13, 3] });
      tf.engine().runKernel('AelabAdam', { value0: tensor([5], 10), m0: tensor([5], 11), v0: tf.abs(tensor([5], 12)), gradient0: tensor([5], 13) },
        { count: 1, learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, biasCorrection1: 0.1, biasCorrection2: 0.001 });
    };
    tf.tidy(ops);
    const backendIds = tf.engine().backend.numDataIds();
    const tensors = tf.memory().numTensors;
    tf.tidy(ops);
    assert.equal(tf.memory().numTensors, tensors, 'engine tensors');
    assert.equal(tf.engine().backend.numDataIds(), backendIds, 'wasm backend data ids');
  });

  it('cpu: the aelab Conv2DBackpropFilter matches the stock cpu kernel', async () => {
    for (const c of convCases.slice(0, 7)) {
      const dyShape = convOutShape(c.x, c.filter, c.strides, c.pad);
      const f = () => tf.engine().runKernel('Conv2DBackpropFilter',
        { x: tensor(c.x, 1), dy: tensor(dyShape, 2) },
        { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter }) as tf.Tensor;
      uninstallKernels('cpu');
      const expected = await on('cpu', f);
      installKernels('cpu');
      const actual = await on('cpu', f);
      assertClose(actual, expected, `cpu ${label(c)}`);
    }
  });
});

describe('initBackend', function () {
  this.timeout(30000);

  it("'auto' picks wasm here (tfjs-node absent) and says why", async () => {
    const logs: string[] = [];
    const choice = await initBackend('auto', { log: (m) => logs.push(m) });
    assert.equal(choice.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.match(choice.reason, /^auto: native TensorFlow \(the optional @tensorflow\/tfjs-node\) is not installed; WebAssembly/);
    // An optional package that is simply absent is not worth an alarming log line.
    assert.ok(!logs.some((l) => /unavailable|Cannot find module/.test(l)), logs.join('\n'));
    assert.deepEqual(installedKernels('wasm').sort(), aelabKernelNames('wasm').sort());
  });

  it('names a tfjs-node that is installed but broken differently from one that is absent', () => {
    assert.match(tensorflowAbsence("Cannot find module '@tensorflow/tfjs-node'\nRequire stack: x"), /is not installed/);
    assert.match(tensorflowAbsence('libtensorflow.so.2: cannot open shared object file'), /is installed but did not load \(libtensorflow\.so\.2/);
  });

  it("leaves no Emscripten process handlers behind (they print minified glue on every crash)", () => {
    const emscripten = (l: unknown) => /ExitStatus|throw reason/.test(String(l));
    assert.equal(process.listeners('uncaughtException').filter(emscripten).length, 0);
    assert.equal(process.listeners('unhandledRejection').filter(emscripten).length, 0);
  });

  it('is idempotent', async () => {
    const first = await initBackend('auto');
    const second = await initBackend('auto');
    assert.deepEqual(second, first);
    assert.equal(tf.getBackend(), 'wasm');
  });

  it("'tensorflow' throws a clear error saying how to get tfjs-node", async () => {
    await assert.rejects(initBackend('tensorflow'), (err: Error) => {
      assert.match(err.message, /'tensorflow' backend is not available/);
      assert.match(err.message, /@tensorflow\/tfjs-node/);
      assert.match(err.message, /libtensorflow/);
      assert.match(err.message, /TFJS_NODE_BASE_URI/);
      return true;
    });
  });

  it("'cpu' and 'wasm' switch backends; a later wasmDir is reported, not silently used", async () => {
    const cpu = await initBackend('cpu');
    assert.equal(cpu.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.deepEqual(installedKernels('cpu').sort(), ['AelabAdam', 'AelabBatchNormGrad', 'AelabBatchNormTrain', 'Conv2DBackpropFilter']);
    const logs: string[] = [];
    const wasm = await initBackend('wasm', { wasmDir: '/nonexistent/wasm', log: (m) => logs.push(m) });
    assert.equal(wasm.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.ok(logs.some((l) => /already loaded/.test(l)), logs.join('\n'));
  });

  it('reports the tfjs version', () => {
    assert.equal(tfjsVersion(), '4.22.0');
  });
});
