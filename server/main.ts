import { exitOnStartFailure, startSidecar, stopOnSignals } from './start.ts';

/** Process entry. The lifecycle is in start.ts; this file only starts it and reports a failed start. */
try {
  stopOnSignals(await startSidecar());
} catch (error) {
  exitOnStartFailure(error);
}
