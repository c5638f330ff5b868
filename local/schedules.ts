/**
 * The local stand-ins for the EventBridge rules: the lifecycle and rotation, each on its own
 * timer, each paused and resumed as an operator disables and enables a rule
 * (`POST /local/schedules/{name} {"enabled": false}`). A tick that finds its last run still
 * going skips, rather than pile runs up.
 */
export interface ScheduleStatus {
  readonly name: string;
  readonly enabled: boolean;
  readonly everyMs: number;
  readonly running: boolean;
  readonly runs: number;
  readonly lastStartedAt?: string;
  readonly lastError?: string;
}

export class Schedule {
  readonly name: string;
  readonly everyMs: number;
  private readonly run: () => Promise<unknown>;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private runs = 0;
  private lastStartedAt: string | undefined;
  private lastError: string | undefined;
  enabled = true;

  constructor(name: string, everyMs: number, run: () => Promise<unknown>) {
    this.name = name;
    this.everyMs = everyMs;
    this.run = run;
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (!this.enabled || this.running) return;
    this.running = true;
    this.runs++;
    this.lastStartedAt = new Date().toISOString();
    this.run()
      .then(() => (this.lastError = undefined))
      .catch((err: unknown) => {
        this.lastError = (err as Error).message;
        console.error(`${this.name}: ${this.lastError}`);
      })
      .finally(() => (this.running = false));
  }

  status(): ScheduleStatus {
    return {
      name: this.name,
      enabled: this.enabled,
      everyMs: this.everyMs,
      running: this.running,
      runs: this.runs,
      ...(this.lastStartedAt ? { lastStartedAt: this.lastStartedAt } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }
}
