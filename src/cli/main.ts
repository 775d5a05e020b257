#!/usr/bin/env node
/** mflux's entry point: the only place that sets the process exit code. */
import { drainProcessOutput, guardProcessOutput } from './io.js';
import { main } from './program.js';

guardProcessOutput();
main(process.argv.slice(2))
  .then((code) => drainProcessOutput(code))
  .then((code) => {
    // Exit explicitly rather than when the event loop drains: a stopped daemon may leave a fetch in
    // flight (up to its timeout). Output is drained first: to a pipe, writes are asynchronous, and
    // exiting with writes queued would cut the output at the pipe's 64 KiB.
    process.exit(code);
  });
