#!/usr/bin/env bash
# The article's story as GitOps: fixtures-repo/ becomes a real git repository (one commit per
# folder) and mflux reconciles each commit in turn on the embedded simulated cluster, as a poller
# would. Cluster time is virtual: every rollout (and a 10-minute progress deadline) runs in
# well under a second.
set -u
cd "$(dirname "$0")/.."
MFLUX="node dist/src/cli/main.js"
[ -f dist/src/cli/main.js ] && [ -f dist/scripts/fixtures-repo.js ] || npm run --silent build
WORK="$(mktemp -d)"
export MFLUX_STATE="${MFLUX_STATE:-$WORK/state}"
REPO="$WORK/repo"
step() { printf '\n\033[1m## %s\033[0m\n' "$*"; }
run() { printf '$ mflux %s\n' "$*"; $MFLUX "$@"; }

step "fixtures-repo/ → a git repository with one commit per folder ($REPO)"
node dist/scripts/fixtures-repo.js "$REPO" >/dev/null
git -C "$REPO" log --reverse --format='%h %s'
mapfile -t COMMITS < <(git -C "$REPO" log --reverse --format='%H')

# A poller sees branch main move forward one commit at a time.
reconcile() { # commit-index [flags...]
  local i=$1; shift
  git -C "$REPO" update-ref refs/heads/main "${COMMITS[$i]}"
  run reconcile --repo "$REPO" --ref main "$@"
}

step "1. front v1.0.0, 3 replicas"
reconcile 0 --pod-ready-jitter 5s --fail-images '*:broken'
run get deploy
run describe deployment front

step "2. image v2.0.0: a rolling update (new ReplicaSet up by 1, old down by 1)"
run advance 2m30s >/dev/null
reconcile 1 --pod-ready-jitter 0s
run get rs
run describe deployment front

step "3. back to v1.0.0: the first ReplicaSet is reused as revision 3"
reconcile 2
run get rs
run rollout history deployment/front

step "4. replicas 3 -> 5: scaling only, the revision stays 3"
reconcile 3
run get rs

step "5. maxSurge 30%, maxUnavailable 10%: no pod-template change, no rollout"
reconcile 4

step "6a. before merging: mflux check predicts the broken image (offline, no cluster, your state untouched)"
run check --repo "$REPO" --base "${COMMITS[4]}" --head "${COMMITS[5]}" --fail-images '*:broken'
echo "(exit code $?: the check fails the pull request)"

step "6. merged anyway: the rollout stalls (5 pods keep serving) until the progress deadline"
reconcile 5 --timeout 15m
echo "(exit code $?: RolloutFailed)"
run get rs
run get pods

step "7. the fix: a new rollout replaces the stuck one"
reconcile 6
run get rs

step "re-reconciling the same commit writes nothing"
reconcile 6

step "8. roll back the GitOps way: a commit in Git, then an ordinary rolling update (the old ReplicaSet is reused)"
run rollback deployment/front --repo "$REPO" --to-revision 3
run reconcile --repo "$REPO" --ref main
run trace deployment/front

step "the ledger: every commit and what it did"
run history
run history deployment/front
run rollout history deployment/front

step "9. an overlay: a kustomization over a base, rendered natively (kubectl kustomize's output), reconciled and rolled back"
OREPO="$WORK/overlay-repo"
mkdir -p "$OREPO/base" "$OREPO/overlays/prod"
cat > "$OREPO/base/web.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
YAML
printf 'resources:\n- web.yaml\n' > "$OREPO/base/kustomization.yaml"
prod() { printf 'resources:\n- ../../base\nnamePrefix: prod-\nimages:\n- name: nginx\n  newTag: "%s"\nreplicas:\n- name: web\n  count: 3\n' "$1" > "$OREPO/overlays/prod/kustomization.yaml"; }
prod 1.27
ogit() { git -C "$OREPO" -c user.name=demo -c user.email=demo@example.com "$@"; }
ogit init -q -b main && ogit add -A && ogit commit -qm "web: base + prod overlay (nginx 1.27, 3 replicas)"
cat "$OREPO/overlays/prod/kustomization.yaml"
(
  export MFLUX_STATE="$WORK/overlay-state"
  run build --repo "$OREPO" --path overlays/prod
  run reconcile --repo "$OREPO" --path overlays/prod
  prod 1.28 && ogit commit -qam "web: nginx 1.28 in prod"
  run reconcile --repo "$OREPO" --path overlays/prod
  run trace deployment/prod-web
  run rollback deployment/prod-web --repo "$OREPO"
  ogit show --format='%s' HEAD | sed -n '1p;/^[-+] /p'
  run reconcile --repo "$OREPO" --path overlays/prod
  run history deployment/prod-web
)

step "10. the same repository under the daemon: real time, a new commit is picked up by the watcher"
# A config of its own (the daemon owns the state dir while it runs): one source, pods ready after 1 s.
DSTATE="$WORK/daemon-state"
cat > "$WORK/mflux.yaml" <<YAML
state: $DSTATE
listen: 127.0.0.1:0
log: {level: info, format: pretty}
simulation: {podReadyAfter: 1s}
sources:
  - {name: front, repo: $REPO, ref: main, interval: 1m}
YAML
printf '$ mflux daemon --config %s &\n' "$WORK/mflux.yaml"
$MFLUX daemon --config "$WORK/mflux.yaml" 2> "$WORK/daemon.log" &
DAEMON=$!
# wait (up to 20 s) for the first pass: the state's ledger gets its first row
for _ in $(seq 200); do grep -q 'Applied' "$WORK/daemon.log" 2>/dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/daemon.log" | head -1)
git -C "$REPO" checkout -q main
FRONT="$(grep -rl --exclude-dir=.git 'kind: Deployment' "$REPO" | head -1)"
sed -i 's/replicas: 5/replicas: 6/' "$FRONT"
git -C "$REPO" -c user.name=demo -c user.email=demo@example.com commit -qam "front: 6 replicas"
echo "(committed \"front: 6 replicas\"; the daemon's watcher starts a pass)"
SHA=$(git -C "$REPO" rev-parse HEAD)
# wait (up to 10 s) until the daemon has applied the new commit (its rollout then runs in real time)
node -e 'const [url, sha] = process.argv.slice(1); const t0 = Date.now();
  (async () => { for (;;) { const s = (await (await fetch(url + "/status")).json()).sources[0];
    if (s.lastAttemptedRevision?.endsWith(sha) && s.deployments[0]?.replicas === 6) return;
    if (Date.now() - t0 > 10000) process.exit(1);
    await new Promise((r) => setTimeout(r, 50)); } })()' "$URL" "$SHA"
run rollout status deployment/front --state "$DSTATE"
printf '$ curl -s %s/status   # per source: revisions, outcome, rollouts\n' "$URL"
node -e 'fetch(process.argv[1]+"/status").then(r=>r.json()).then(d=>{for(const s of d.sources){console.log(`${s.name}: ${s.outcome}, applied ${s.lastAppliedRevision}, next pass ${s.nextRunAt}`);for(const x of s.deployments)console.log(`  ${x.object} revision ${x.revision}: ${x.message}`)}})' "$URL"
printf '$ curl -s %s/metrics | grep mflux_reconcile_total\n' "$URL"
node -e 'fetch(process.argv[1]+"/metrics").then(r=>r.text()).then(t=>process.stdout.write(t.split("\n").filter(l=>l.startsWith("mflux_reconcile_total")).join("\n")+"\n"))' "$URL"
kill -TERM "$DAEMON"; wait "$DAEMON"
echo "(SIGTERM: exit code $?)"
sed 's/^/  daemon log: /' "$WORK/daemon.log"
