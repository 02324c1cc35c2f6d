// A model as bytes another thread can rebuild it from (tfjs's save handler, in memory).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelArtifacts } from './messages';

/** Topology and weights of `model`, the weights in one buffer. */
export async function modelArtifacts(model: tfl.LayersModel): Promise<ModelArtifacts> {
  let artifacts: ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    const data = a.weightData;
    const buffers = data === undefined ? [] : Array.isArray(data) ? data : [data];
    const bytes = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
    let at = 0;
    for (const b of buffers) {
      bytes.set(new Uint8Array(b), at);
      at += b.byteLength;
    }
    artifacts = { modelTopology: a.modelTopology as object, weightSpecs: a.weightSpecs ?? [], weightData: bytes.buffer };
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  if (artifacts === undefined) throw new Error('model.save handed over no artifacts');
  return artifacts;
}

/** The model `artifacts` describe, with their weights. */
export function loadArtifacts(artifacts: ModelArtifacts): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts));
}
