#!/usr/bin/env node
/** mflux's entry point: the only place that sets the process exit code. */
import { main } from './program.js';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
