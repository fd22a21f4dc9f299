#!/usr/bin/env bash
# Builds the images docker-compose.yml runs, without a registry:
#   atoll-node-base:local  this machine's node binary and the shared libraries it and the
#                          native modules (lmdb) link, imported as a file system
#   atoll:local            the built workspace's `atoll` command with production dependencies
# Run from anywhere after `pnpm build`; needs docker (a running daemon) and pnpm.
set -euo pipefail

usage() {
  echo "usage: docker/build-images.sh [--help]"
  echo "Builds atoll-node-base:local and atoll:local from this checkout (run pnpm build first)."
}
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then usage; exit 0; fi
if [[ $# -gt 0 ]]; then usage >&2; exit 2; fi

root="$(cd "$(dirname "$0")/.." && pwd)"
command -v docker >/dev/null || { echo "docker is not installed" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "the docker daemon is not running (start dockerd)" >&2; exit 1; }
[[ -f "$root/packages/cli/dist/main.js" ]] || { echo "build first: pnpm build" >&2; exit 1; }
pnpm_cmd=(pnpm)
command -v pnpm >/dev/null || pnpm_cmd=(npx --yes pnpm@10)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The Atoll command with production dependencies only (symlinks inside, resolved by COPY).
(cd "$root" && "${pnpm_cmd[@]}" --filter @atoll/cli deploy --prod --offline --legacy "$work/ctx/atoll" >/dev/null)

# Base: node, the libraries node and every native module of the deploy link, /tmp.
node_bin="$(command -v node)"
rootfs="$work/rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/tmp" "$rootfs/data"
chmod 1777 "$rootfs/tmp"
cp "$node_bin" "$rootfs/usr/local/bin/node"
libs() { ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'; }
{
  libs "$node_bin"
  find "$work/ctx/atoll/node_modules" -name '*glibc.node' -print0 | while IFS= read -r -d '' m; do libs "$m"; done
} | sort -u | while read -r lib; do cp --parents -L "$lib" "$rootfs"; done
node_version="$("$node_bin" --version)"
tar -C "$rootfs" -c . | docker import \
  --message "node $node_version and its libraries, from the build machine" - atoll-node-base:local >/dev/null

docker build --quiet -t atoll:local -f "$root/docker/Dockerfile" "$work/ctx" >/dev/null
echo "built atoll-node-base:local (node $node_version) and atoll:local"
