// The sweeps this window is running (Run Sweep), by experiment file, so Cancel Sweep can stop one.
export class SweepSessions {
  private readonly cancels = new Map<string, () => void>();

  /** False when a sweep of this file is already running here. */
  start(experimentPath: string, cancel: () => void): boolean {
    if (this.cancels.has(experimentPath)) return false;
    this.cancels.set(experimentPath, cancel);
    return true;
  }

  end(experimentPath: string): void {
    this.cancels.delete(experimentPath);
  }

  /** Asks the sweep to stop; false when none of that file runs here. */
  cancel(experimentPath: string): boolean {
    const cancel = this.cancels.get(experimentPath);
    cancel?.();
    return cancel !== undefined;
  }

  get running(): string[] {
    return [...this.cancels.keys()];
  }
}
