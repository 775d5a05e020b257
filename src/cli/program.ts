/** The mflux command tree (commander wiring); commands are plain functions, so tests call them directly. */
import { Command, Option } from 'commander';
// Each command's module is loaded when it runs: `check` need not load the daemon, the SQLite store or metrics.
const commands = {
  apply: () => import('./commands/apply.js'),
  clusterTime: () => import('./commands/cluster-time.js'),
  view: () => import('./commands/view.js'),
  gitops: () => import('./commands/gitops.js'),
  check: () => import('./commands/check.js'),
  build: () => import('./commands/build.js'),
  rollback: () => import('./commands/rollback.js'),
  serve: () => import('./commands/serve.js'),
  daemon: () => import('./commands/daemon.js'),
  unlock: () => import('./commands/unlock.js'),
};
import { type IO, processIO } from './io.js';
import { DEFAULT_CONFIG } from './defaults.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function stateOptions(cmd: Command): Command {
  return cmd
    .option('--state <dir>', 'state directory (default: $MFLUX_STATE or ./.mflux)')
    .addOption(new Option('--clock <kind>', 'cluster clock').choices(['virtual', 'real']).default('virtual'))
    .option('--clock-start <time>', 'start a new virtual timeline at this RFC 3339 time (default: now)');
}

function policyOptions(cmd: Command): Command {
  return cmd
    .option('--max-prune <n|percent>', 'most objects one pass may prune: a count or a percentage of the inventory (default 20%, at least 1)')
    .option('--block-impact <code>', 'make an impact block: RecreateDowntime, ZeroAvailability, DoubleCapacity, ReplicasManagedByHPA (repeatable)', collect);
}

function credentialOptions(cmd: Command): Command {
  return cmd
    .option('--username-file <file>', 'file holding the username (or $MFLUX_GIT_USERNAME)')
    .option('--password-file <file>', 'file holding the password (or $MFLUX_GIT_PASSWORD)')
    .option('--token-file <file>', 'file holding a bearer token (or $MFLUX_GIT_TOKEN)');
}

function simOptions(cmd: Command): Command {
  return cmd
    .option('--pod-ready-after <duration>', 'time from pod creation to Ready (default 10s)')
    .option('--pod-ready-jitter <duration>', 'extra per-pod delay, up to this much, fixed per pod name (default 0s)')
    .option('--fail-images <glob>', 'pods whose image matches never become Ready (repeatable)', collect)
    .option('--pod-terminate-after <duration>', 'graceful termination time of deleted pods (default 0s)')
    .option('--pod-complete-after <duration>', 'run time of a run-to-completion (Job) pod after it started (default 10s)')
    .option('--crash-images <glob>', 'containers whose image matches start and exit 1: Error, CrashLoopBackOff (repeatable)', collect)
    .option('--fail-probes <glob>', 'containers whose image matches run but never pass their readiness probe: Running, never Ready (repeatable)', collect)
    .option('--nodes <n>', 'number of simulated nodes, kept for later commands (default 3); DaemonSets run one pod per node')
    .option('--cpu-utilization <percent>', 'CPU use of every pod as a percentage of its request, read by HorizontalPodAutoscalers, kept for later commands (default: each HPA\'s own target, so it stays still)');
}

/** buildProgram wires every command to its function; `io` receives the output. */
export function buildProgram(io: IO, setExit: (code: number) => void): Command {
  const program = new Command('mflux')
    .description('GitOps with apply-only rollouts, on an embedded simulated Kubernetes cluster')
    .version('0.1.0')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();

  policyOptions(simOptions(stateOptions(program.command('apply'))))
    .description('apply manifests to the simulated cluster (create or update in place, never delete), then follow the rollouts')
    .requiredOption('-f, --filename <path>', 'file or directory of manifests (repeatable)', collect)
    .option('--timeout <duration>', 'give up after this much cluster time (0: until every rollout ends)', '0')
    .option('--no-wait', 'return right after applying, without running the rollouts')
    .action(async (o) => setExit(await (await commands.apply()).applyCommand(o, io)));

  stateOptions(program.command('get'))
    .description('list objects: deployments, replicasets, pods, events, configmaps, services, ...')
    .argument('<resource>')
    .argument('[name]')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .option('-o, --output <format>', 'wide | json | yaml')
    .action(async (resource, name, o) => setExit(await (await commands.view()).getCommand(resource, name, o, io)));

  stateOptions(program.command('describe'))
    .description('show details of one object, with its events')
    .argument('<resource>')
    .argument('<name>')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .action(async (resource, name, o) => setExit(await (await commands.view()).describeCommand(resource, name, o, io)));

  const rollout = program.command('rollout').description('rollout status and history of a Deployment, StatefulSet or DaemonSet');
  simOptions(stateOptions(rollout.command('status')))
    .description('follow a rollout until it finishes (lets cluster time pass)')
    .argument('<kind/NAME>', 'deployment/NAME, statefulset/NAME or daemonset/NAME')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-w, --watch [bool]', 'keep following until done (--watch=false: print once)', (v) => v !== 'false', true)
    .option('--revision <n>', 'fail unless this is the running revision')
    .option('--timeout <duration>', 'give up after this much cluster time (0: no limit)', '0')
    .action(async (arg, o) => setExit(await (await commands.clusterTime()).rolloutStatusCommand(arg, o, io)));
  stateOptions(rollout.command('history'))
    .description('list revisions (or show one with --revision)')
    .argument('<kind/NAME>', 'deployment/NAME, statefulset/NAME or daemonset/NAME')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('--revision <n>', 'show the pod template of one revision')
    .action(async (arg, o) => setExit(await (await commands.view()).rolloutHistoryCommand(arg, o, io)));

  simOptions(stateOptions(program.command('advance')))
    .description('let cluster time pass on the virtual clock (e.g. "mflux advance 2m30s", "mflux advance --to 2021-10-10T00:05:12Z")')
    .argument('[duration]')
    .option('--to <time>', 'advance until this RFC 3339 time instead')
    .action(async (d, o) => setExit(await (await commands.clusterTime()).advanceCommand(d, o, io)));

  const sourceOptions = (cmd: Command) =>
    credentialOptions(
      cmd
        .requiredOption('--repo <dir|url>', 'Git repository: a local directory (read from its object store) or an http(s) URL')
        .option('--ref <ref>', "branch, tag or commit SHA (default: the repository's HEAD — its checked-out or default branch)")
        .option('--path <dir>', 'only manifests under this directory of the repository', '')
        .option('--name <name>', 'source name owning the applied objects (default: the repository base name)'),
    );

  policyOptions(simOptions(stateOptions(sourceOptions(program.command('reconcile')))))
    .description('one GitOps pass: fetch, plan, apply in place, wait for rollouts, prune, record in the ledger')
    .option('--timeout <duration>', 'rollout wait, in cluster time', '5m')
    .option('-o, --output <format>', 'text | json', 'text')
    .action(async (o) => setExit(await (await commands.gitops()).reconcileCommand(o, io)));

  policyOptions(stateOptions(sourceOptions(program.command('diff'))))
    .description('show what reconcile would change, without applying (exit 0 none, 1 differences)')
    .option('-o, --output <format>', 'text (unified YAML diff) | json (RFC 6902 patches)', 'text')
    .action(async (o) => setExit(await (await commands.gitops()).diffCommand(o, io)));

  stateOptions(sourceOptions(program.command('build')))
    .description('print the objects a pass would apply, rendered (kustomize build, or the plain files) in apply order; Secret values masked (exit 0, 1 invalid input, 2 error)')
    .option('-o, --output <format>', 'yaml | json', 'yaml')
    .action(async (o) => setExit(await (await commands.build()).buildCommand(o, io)));

  stateOptions(program.command('history'))
    .description('the ledger: every reconcile pass, every commit applied to one Deployment, or what one Service served during each pass (service/NAME)')
    .argument('[deployment/NAME|service/NAME]')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-o, --output <format>', 'text | json')
    .action(async (target, o) => setExit(await (await commands.gitops()).historyCommand(target, o, io)));

  credentialOptions(
    stateOptions(program.command('rollback'))
      .description('roll a Deployment, StatefulSet or DaemonSet back through Git: commit revision N\'s manifest (default: the revision before the current one); the next reconcile rolls it out')
      .argument('<deployment/NAME|statefulset/NAME|daemonset/NAME>')
      .option('--to-revision <n>', 'the ledger revision to restore (default: the previous one)')
      .option('--repo <dir>', 'local clone to commit to (default: the repository the ledger read it from)')
      .option('--path <dir>', 'the folder the source reads, a kustomization or plain manifests (default: the one the ledger recorded)')
      .option('--branch <name>', 'commit on this new branch (from HEAD) instead of the current branch; the checkout is left alone')
      .option('--push', 'push the branch to origin (http(s); credentials as for reconcile)')
      .option('--dry-run', 'print the diff of the file and change nothing')
      .option('-n, --namespace <ns>', 'namespace', 'default'),
  ).action(async (target, o) => setExit(await (await commands.rollback()).rollbackCommand(target, o, io)));

  stateOptions(program.command('trace'))
    .description('from a Deployment, StatefulSet or DaemonSet to its origin: source, file:line, commit, ledger revision and ReplicaSet (ControllerRevision), and drift from Git')
    .argument('<deployment/NAME|statefulset/NAME|daemonset/NAME>')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-o, --output <format>', 'text | json', 'text')
    .action(async (target, o) => setExit(await (await commands.rollback()).traceCommand(target, o, io)));

  policyOptions(simOptions(program.command('check')))
    .description('pre-merge check, offline: seed a simulated cluster with --base, plan, guard, apply and roll out --head; exit 0 pass, 1 fail, 2 could not run')
    .requiredOption('--repo <dir>', 'Git repository (a local directory, read from its object store; or an http(s) URL)')
    .requiredOption('--base <ref>', 'what the cluster runs now: branch, tag or commit')
    .requiredOption('--head <ref>', 'the change to judge: branch, tag or commit')
    .option('--path <dir>', 'only manifests under this directory of the repository', '')
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'markdown', 'json', 'github']).default('text'))
    .option('--policy <file>', 'guard policy: YAML {maxPrune, block: [impacts]}, or the same under a top-level policy: key')
    .option('--each-commit', 'also judge every commit between base and head as if deployed alone')
    .option('--state <dir>', 'ignored: check never reads or writes a state dir')
    .action(async (o) => setExit(await (await commands.check()).checkCommand(o, io)));

  program
    .command('serve')
    .description('serve the state dir read-only as the Kubernetes API over plain HTTP, so a real kubectl can read it (see `mflux kubeconfig`)')
    .option('--state <dir>', 'state directory (default: $MFLUX_STATE or ./.mflux)')
    .option('--listen <host:port>', 'address to listen on (loopback)', '127.0.0.1:6443')
    .action(async (o) => setExit(await (await commands.serve()).serveCommand(o, io)));

  program
    .command('kubeconfig')
    .description('print a kubeconfig (cluster, user and context "mflux") for `mflux serve`: mflux kubeconfig > ~/.kube/mflux; kubectl --kubeconfig ~/.kube/mflux get deploy')
    .option('--listen <host:port>', 'the address `mflux serve` listens on', '127.0.0.1:6443')
    .option('--state <dir>', 'ignored: the kubeconfig does not depend on the state dir')
    .action(async (o) => setExit(await (await commands.serve()).kubeconfigCommand(o, io)));

  program
    .command('daemon')
    .description('reconcile every configured source continuously (poll with jitter, watch local repos, webhooks), serving /healthz /readyz /status /metrics and a status page; stops cleanly on SIGTERM/SIGINT')
    .option('--config <file>', 'daemon config (YAML; see `mflux config schema`)', DEFAULT_CONFIG)
    .action(async (o) => setExit(await (await commands.daemon()).daemonCommand(o, io)));

  program
    .command('force-unlock')
    .description('remove the state dir writer lock with this ID, left by an mflux that is gone (e.g. on another host); the ID is in the "state dir is locked" error')
    .argument('<lock-id>', 'the lock ID from the error ("unreadable" for a lock file that cannot be read)')
    .option('--state <dir>', 'state directory (default: $MFLUX_STATE or ./.mflux)')
    .action(async (lockId, o) => setExit(await (await commands.unlock()).forceUnlockCommand(lockId, o, io)));

  const config = program.command('config').description('the daemon config file');
  config
    .command('schema')
    .description('print the JSON Schema of the daemon config (for editors)')
    .action(async () => setExit(await (await commands.daemon()).configSchemaCommand(io)));
  config
    .command('check')
    .description('validate a daemon config file (exit 0 ok, 2 with every problem)')
    .option('--config <file>', 'daemon config', DEFAULT_CONFIG)
    .action(async (o) => setExit(await (await commands.daemon()).configCheckCommand(o, io)));

  return program;
}

/** main parses argv and runs one command. */
export async function main(argv: string[], io: IO = processIO): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err: any) {
    // commander throws on --help/--version (exit 0) and on usage errors (it has printed them already).
    if (err?.code === 'commander.helpDisplayed' || err?.code === 'commander.version' || err?.code === 'commander.help') return 0;
    return 2;
  }
  return code;
}
