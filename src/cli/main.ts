#!/usr/bin/env node
/** mflux's entry point: the only place that sets the process exit code. */
import { main } from './program.js';

main(process.argv.slice(2)).then((code) => {
  // Exit now rather than when the event loop drains: a stopped daemon may leave a fetch in flight
  // (up to its timeout). stdout/stderr writes are synchronous on Linux, so no output is lost.
  process.exit(code);
});
