#!/usr/bin/env bash
# Regenerates test/render/golden/<case>.yaml with kubectl kustomize (kustomize v5.5). Usage: bash test/render/regen-goldens.sh
set -euo pipefail
cd "$(dirname "$0")"
grep -oE "name: '[^']+', build: '[^']*'" helpers.ts | sed -E "s/name: '([^']+)', build: '([^']*)'/\1 \2/" | while read -r name build; do
  kubectl kustomize --load-restrictor LoadRestrictionsNone "fixtures/$name/$build" > "golden/$name.yaml"
done
