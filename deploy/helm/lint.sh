#!/usr/bin/env bash
# Check the eCommunity chart: `helm lint --strict` and `helm template` with each values file in
# ci/ (the defaults, and every optional feature on); then, when kubernetes-validate is on PATH,
# validate the rendered manifests against the Kubernetes schemas.
#
#   bash deploy/helm/lint.sh            (HELM=/path/to/helm to pick a binary)
set -euo pipefail

HELM="${HELM:-helm}"
CHART="$(cd "$(dirname "$0")/ecommunity" && pwd)"
KUBE_VERSION="${KUBE_VERSION:-1.30.0}"
if ! command -v "$HELM" >/dev/null; then
    echo "helm-lint: no helm on PATH; run: bash deploy/tools/install-helm.sh" >&2
    exit 1
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for values in "$CHART"/ci/*-values.yaml; do
    name="$(basename "$values" .yaml)"
    echo "== $name"
    "$HELM" lint --strict "$CHART" -f "$values" --kube-version "$KUBE_VERSION"
    "$HELM" template ecommunity "$CHART" -f "$values" --namespace ecommunity \
        --kube-version "$KUBE_VERSION" > "$out/$name.yaml"
    echo "rendered $(grep -c '^kind:' "$out/$name.yaml") resources"
    if command -v kubernetes-validate >/dev/null; then
        # ServiceMonitor is a CRD: reported as a warning, not a failure
        kubernetes-validate --strict --quiet -k "$KUBE_VERSION" "$out/$name.yaml"
    fi
done
if ! command -v kubernetes-validate >/dev/null; then
    echo "(kubernetes-validate not installed: schemas not checked; pip install kubernetes-validate)"
fi
echo "helm-lint: ok"
