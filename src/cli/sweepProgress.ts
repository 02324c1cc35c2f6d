// Progress of `aelab sweep`: on a terminal, one bar over the points and one per running point
// (its epoch and batches); otherwise one line per point started or finished and per epoch.
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { RunEvent } from '../core/protocol';
import { fmt } from './format';
import type { PointJob, PointOutcome } from './sweepLocal';
import { describePoint } from './sweepPoint';
import type { SweepPoint } from '../core/sweep/expand';

export class SweepProgress {
  private readonly bars: MultiBar | undefined;
  private readonly total: SingleBar | undefined;
  private readonly pointBars = new Map<number, SingleBar>();
  private done = 0;
  private failed = 0;

  constructor(interactive: boolean, private readonly write: (line: string) => void, private readonly count: number, private readonly alreadyDone: number) {
    if (!interactive) return;
    this.bars = new MultiBar({ hideCursor: true, clearOnComplete: false, format: '{label} {bar} {value}/{total} {info}' }, Presets.shades_classic);
    this.total = this.bars.create(count, alreadyDone, { label: 'sweep   ', info: 'points' });
  }

  started(job: PointJob): void {
    const line = `point ${job.point.index}: ${describePoint(job.point.overrides)}${job.modelFrom ? ' (scoring with a trained model of this setting)' : ''}`;
    if (this.bars) {
      this.bars.log(`${line}\n`);
      this.pointBars.set(job.point.index, this.bars.create(1, 0, { label: `point ${job.point.index}`.padEnd(8), info: 'starting' }));
    } else {
      this.write(line);
    }
  }

  event(index: number, e: RunEvent): void {
    const bar = this.pointBars.get(index);
    if (e.type === 'batch' && bar) {
      bar.setTotal(e.batches);
      bar.update(e.batch, { info: `epoch ${e.epoch}/${e.epochs} loss ${fmt(e.loss, 5)}` });
    } else if (e.type === 'epoch' && !this.bars) {
      this.write(`point ${index}: epoch ${e.epoch}/${e.epochs}  train loss ${fmt(e.trainLoss, 5)}  validation loss ${fmt(e.valLoss, 5)}  ${fmt(e.seconds, 1)} s`);
    } else if (e.type === 'phase' && bar) {
      bar.update({ info: e.phase });
    }
  }

  finished(point: SweepPoint, outcome: PointOutcome): void {
    if (outcome.state === 'completed') this.done += 1;
    else if (outcome.state === 'failed') this.failed += 1;
    const s = outcome.summary;
    const line = `point ${point.index} ${outcome.state}${s ? `: AUROC ${fmt(s.auroc)}  AP ${fmt(s.averagePrecision)}  F1 ${fmt(s.operatingPoint.f1)}` : ''}${outcome.error ? `: ${outcome.error}` : ''}`;
    const bar = this.pointBars.get(point.index);
    if (this.bars && bar) {
      this.bars.remove(bar);
      this.pointBars.delete(point.index);
      this.bars.log(`${line}\n`);
      this.total?.update(this.alreadyDone + this.done, { info: `points${this.failed ? ` (${this.failed} failed)` : ''}` });
    } else {
      this.write(`${line}   [${this.alreadyDone + this.done}/${this.count} done]`);
    }
  }

  stop(): void {
    this.bars?.stop();
  }
}
