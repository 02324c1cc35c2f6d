// The dataset reader validation uses (core/experimentFile/dataChecks.ts): the engine's own file
// locating and IDX header reading, so validation refuses exactly what loading would. Reads
// headers, sizes and (for normalClasses) labels, never pixels; imports no TensorFlow.js, so the
// CLI's validate and the extension's diagnostics can use it.
import * as path from 'node:path';
import type { DatasetAccess, DatasetReader } from '../core/config';
import { locateDatasetFiles } from './datasets';
import { readIdxHeader, readIdxLabels } from './idx';

export const nodeDatasetReader: DatasetReader = {
  locate: (data, baseDir) => locateDatasetFiles(data, baseDir).files,
  header: (file, kind) => readIdxHeader(file, kind),
  labels: (file, limit) => readIdxLabels(file, limit),
};

/** Dataset access for the experiment file at `experimentPath` (relative data.files start beside it). */
export function datasetAccessFor(experimentPath: string): DatasetAccess {
  return { reader: nodeDatasetReader, baseDir: path.dirname(path.resolve(experimentPath)) };
}
