// The study's questions and which runs answer them: the report's template arranges its
// sections by these, and says plainly which question has no runs yet.
import type { ResolvedExperiment } from '../experiment.generated';
import type { StudyRun } from './studyTable';

export type QuestionId = 'architectures' | 'noise' | 'ssim-vs-mse' | 'contaminated-training' | 'threshold' | 'one-class';

export interface StudyQuestion {
  id: QuestionId;
  title: string;
  question: string;
  /** Runs that bear on the question. */
  applies(e: ResolvedExperiment): boolean;
  /** What the runs must differ in to compare (none: one run is enough). */
  compared?: { label: string; value(e: ResolvedExperiment): string | number };
}

const isOneClass = (e: ResolvedExperiment) => e.data.normalClasses !== undefined;
const contamination = (e: ResolvedExperiment) => e.data.trainContamination?.fraction ?? 0;

export const STUDY_QUESTIONS: readonly StudyQuestion[] = [
  {
    id: 'architectures', title: 'Architectures', question: 'Which autoencoder (fully connected, deeper batch-normalised, convolutional) learns normal digits best and separates the noisy ones?',
    applies: (e) => !isOneClass(e), compared: { label: 'model.architecture', value: (e) => e.model.architecture },
  },
  {
    id: 'noise', title: 'Noise', question: 'How does the kind and level of noise in the test images change how well they are detected, and when do normal and corrupted errors overlap?',
    applies: (e) => !isOneClass(e), compared: { label: 'corruption.type / corruption.level', value: (e) => `${e.corruption.type} ${e.corruption.level}` },
  },
  {
    id: 'ssim-vs-mse', title: 'SSIM vs MSE', question: 'Does training and scoring with SSIM instead of MSE separate anomalies better?',
    applies: (e) => !isOneClass(e), compared: { label: 'training.loss / evaluation.score', value: (e) => `${e.training.loss} / ${e.evaluation.score}` },
  },
  {
    id: 'contaminated-training', title: 'Contaminated training', question: 'What happens when part of the training data is itself corrupted?',
    applies: (e) => !isOneClass(e), compared: { label: 'data.trainContamination.fraction', value: contamination },
  },
  {
    id: 'threshold', title: 'Threshold choice', question: 'Which reconstruction-error threshold should flag an image, and what do precision, recall and F1 become as it moves?',
    applies: () => true,
  },
  {
    id: 'one-class', title: 'One class', question: 'Trained on one digit only, how well does the autoencoder flag the other digits, digit by digit?',
    applies: isOneClass, compared: { label: 'data.normalClasses', value: (e) => JSON.stringify(e.data.normalClasses) },
  },
];

export interface QuestionCoverage {
  question: StudyQuestion;
  runs: StudyRun[];
  /** Distinct values of the compared setting among those runs. */
  settings: (string | number)[];
  status: 'answered' | 'one-setting' | 'no-runs';
  /** A plain sentence on what the runs can and cannot say. */
  note: string;
}

export function questionCoverage(runs: readonly StudyRun[]): QuestionCoverage[] {
  return STUDY_QUESTIONS.map((question) => {
    const relevant = runs.filter((r) => question.applies(r.experiment));
    const compared = question.compared;
    const settings = compared ? [...new Set(relevant.map((r) => compared.value(r.experiment)))].sort() : [];
    if (relevant.length === 0) {
      return { question, runs: [], settings, status: 'no-runs', note: 'No runs yet: this question is not answered by this report.' };
    }
    if (compared && settings.length < 2) {
      return {
        question, runs: relevant, settings, status: 'one-setting',
        note: `Only one setting of ${compared.label} (${settings[0]}) so far: runs that vary it are needed to compare.`,
      };
    }
    const note = compared
      ? `${relevant.length} run(s) over ${settings.length} settings of ${compared.label}.`
      : `${relevant.length} run(s); every threshold strategy is computed for each.`;
    return { question, runs: relevant, settings, status: 'answered', note };
  });
}
