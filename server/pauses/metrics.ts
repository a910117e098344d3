import { Gauge, type Registry } from 'prom-client';
import { OPERATOR_REASON } from './sql.ts';
import type { PauseStore } from './store.ts';

/**
 * The pauses on /metrics, read from the database at each scrape (two small lookups: one row per
 * paused hook, at most one for the runner), so every process shows the pauses of all.
 */
export function registerPauseMetrics(params: { registry: Registry; pauses: PauseStore }): void {
  const { registry, pauses } = params;
  const registers = [registry];
  new Gauge({
    name: 'sidecar_runner_paused',
    help: '1 while the runner is paused (POST /v1/runner/pause, RUNNER_PAUSED): no process claims an action.',
    registers,
    async collect() {
      this.set((await pauses.runnerPause()) === null ? 0 : 1);
    },
  });
  new Gauge({
    name: 'sidecar_hook_paused',
    help: 'Paused hooks (1 each), with who paused them: "operator", or "runner" for the runner’s own pause (a remote’s 429).',
    labelNames: ['hook', 'by'],
    registers,
    async collect() {
      const paused = await pauses.hookPauses();
      this.reset();
      for (const pause of paused) this.set({ hook: pause.hook, by: pause.reason === OPERATOR_REASON ? 'operator' : 'runner' }, 1);
    },
  });
  new Gauge({
    name: 'sidecar_hook_paused_until_seconds',
    help: 'When each hook’s pause ends (unix seconds; +Inf while paused indefinitely).',
    labelNames: ['hook'],
    registers,
    async collect() {
      const paused = await pauses.hookPauses();
      this.reset();
      for (const pause of paused) this.set({ hook: pause.hook }, pause.untilMs === null ? Number.POSITIVE_INFINITY : pause.untilMs / 1000);
    },
  });
}
