// Progress for `aelab run`: a live bar on a terminal (cli-progress), one plain line per epoch
// and phase otherwise (CI logs, pipes).
import { SingleBar, Presets } from 'cli-progress';
import { assertNever, RunEvent } from '../core/protocol';
import { fmt } from './format';

export class RunProgress {
  private bar: SingleBar | undefined;
  private barEpoch = 0;

  constructor(private readonly interactive: boolean, private readonly write: (line: string) => void) {}

  handle(event: RunEvent): void {
    switch (event.type) {
      case 'started':
        this.write(`run ${event.runId} on ${event.backend}: ${event.epochs} epoch(s) x ${event.batchesPerEpoch} batches`);
        break;
      case 'phase':
        this.stopBar();
        this.write(`[${event.phase}] ${event.message}`);
        break;
      case 'batch':
        if (!this.interactive) break;
        if (!this.bar || this.barEpoch !== event.epoch) {
          this.stopBar();
          this.barEpoch = event.epoch;
          this.bar = new SingleBar({
            format: `epoch ${event.epoch}/${event.epochs} {bar} {value}/{total} batches | loss {loss} | ETA {eta_formatted}`,
            hideCursor: true, clearOnComplete: true, etaBuffer: 50,
          }, Presets.shades_classic);
          this.bar.start(event.batches, 0, { loss: '-' });
        }
        this.bar.update(event.batch, { loss: fmt(event.loss, 5) });
        break;
      case 'epoch':
        this.stopBar();
        this.write(`epoch ${event.epoch}/${event.epochs}  train loss ${fmt(event.trainLoss, 5)}  validation loss ${fmt(event.valLoss, 5)}  ${fmt(event.seconds, 1)} s`);
        break;
      case 'log':
        this.stopBar();
        this.write(event.level === 'warn' ? `warning: ${event.message}` : event.message);
        break;
      case 'completed':
      case 'cancelled':
      case 'failed':
        this.stopBar();
        break;
      default:
        assertNever(event, 'run event');
    }
  }

  stopBar(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
