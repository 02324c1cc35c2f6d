// Saves and loads a model as TensorFlow.js files (model.json + weights.bin) without tfjs-node's
// file:// handler, which is absent when tfjs-node cannot install. The folder appears whole or
// not at all: files go to a temporary folder that is renamed into place.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
// Registers aelab's custom layers with tfjs serialization, so saved models load on their own.
import './layers/batchNormalization';
import { fsReason, RunWriteError } from '../core/runFolder';

const WEIGHTS_FILE = 'weights.bin';

export async function saveModel(model: tfl.LayersModel, dir: string): Promise<void> {
  const tmp = `${dir}.${process.pid}.tmp`;
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData;
      const buffers = weightData === undefined ? [] : Array.isArray(weightData) ? weightData : [weightData];
      const bytes = concatBytes(buffers.map((b) => new Uint8Array(b)));
      fs.writeFileSync(path.join(tmp, WEIGHTS_FILE), bytes);
      const modelJson = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bytes.byteLength } };
    }));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  } catch (err) {
    // No half model left behind: its space may be what the final status.json needs.
    try { fs.rmSync(tmp, { recursive: true, force: true }); } catch { /* folder gone */ }
    throw new RunWriteError(`cannot write the model to ${dir}: ${fsReason(err)}`, { cause: err });
  }
}

export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  const modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const weightSpecs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const bytes = concatBytes(modelJson.weightsManifest.flatMap((g) => g.paths).map((p) => new Uint8Array(fs.readFileSync(path.join(dir, p)))));
  const weightData = bytes.buffer;
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }));
}

function concatBytes(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}
