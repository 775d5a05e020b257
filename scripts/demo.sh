#!/usr/bin/env bash
# The article's story on the embedded simulated cluster, step by step (fixtures-repo/, one folder per commit).
# Cluster time is virtual: ten minutes of rollouts run in well under a second.
set -u
cd "$(dirname "$0")/.."
MFLUX="node dist/src/cli/main.js"
[ -f dist/src/cli/main.js ] || npm run --silent build
export MFLUX_STATE="${MFLUX_STATE:-$(mktemp -d)/state}"
step() { printf '\n\033[1m## %s\033[0m\n' "$*"; }
run() { printf '$ mflux %s\n' "$*"; $MFLUX "$@"; }

step "1. front v1.0.0, 3 replicas (state: $MFLUX_STATE)"
run apply -f fixtures-repo/01-v1 --no-wait --pod-ready-jitter 5s
run rollout status deployment/front
run describe deployment front
run advance 2m30s

step "2. image v2.0.0: a rolling update"
run apply -f fixtures-repo/02-image-v2 --no-wait
run advance 12s
run get deploy
run rollout status deployment/front
run get rs
run describe deployment front

step "3. back to v1.0.0: the old ReplicaSet is reused as revision 3"
run apply -f fixtures-repo/03-back-to-v1
run get rs
run rollout history deployment/front

step "4. replicas 3 -> 5: scaling, no new revision"
run apply -f fixtures-repo/04-replicas-5
run get rs

step "5. maxSurge 30%, maxUnavailable 10%: no pod-template change, no rollout"
run apply -f fixtures-repo/05-surge-30-unavailable-10
run describe deployment front

step "6. a broken image: pods never become Ready; the rollout stalls, service keeps 5 available pods"
run apply -f fixtures-repo/06-broken-image --fail-images '*:broken'
echo "(exit code $?: the progress deadline was exceeded)"
run get deploy
run get rs
run get pods

step "7. fixed image: the stuck rollout is replaced and completes"
run apply -f fixtures-repo/07-fixed
run get rs
run rollout history deployment/front
