// Published one-class MNIST results (src/core/data/publishedBaselines.json), for the per-digit
// AUROC chart beside a study's own runs. Always labelled as published, never as measured.
import data from '../data/publishedBaselines.json';

export interface PublishedBaseline {
  method: string;
  source: string;
  protocol: string;
  /** AUROC in %, digit 0..9. */
  aurocPercentByDigit: number[];
}

export const PUBLISHED_ONE_CLASS_MNIST: readonly PublishedBaseline[] = data.oneClassMnistAuroc;
export const PUBLISHED_OMITTED: string = data.omitted;
