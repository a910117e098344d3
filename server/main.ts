import { ConfigError } from './config.ts';
import { DataDirLockedError } from './db/open.ts';
import { startSidecar, stopOnSignals } from './start.ts';

/**
 * Process entry: the only file that turns start-up failures into exit codes (2: configuration,
 * 3: the embedded data directory is in use). The lifecycle itself is in start.ts.
 */
try {
  stopOnSignals(await startSidecar());
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof DataDirLockedError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(3);
  }
  process.stderr.write(`The sidecar could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
