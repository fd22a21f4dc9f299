#!/usr/bin/env bash
# The multi-node docker cluster (docker/docker-compose.yml): 3 PD members and 3 stores.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
compose=(docker-compose -f "$root/docker/docker-compose.yml" -p "${ATOLL_COMPOSE_PROJECT:-atoll}")
pd="pd1:2379,pd2:2379,pd3:2379"

usage() {
  cat <<'USAGE'
usage: scripts/docker-cluster.sh <command>

  build    build the images (atoll-node-base:local, atoll:local) from this checkout
  up       start 3 PD members and 3 stores, and wait until every one is healthy
  status   the cluster as PD sees it (atoll ctl status)
  kv ARGS  run `atoll kv ARGS` against the cluster, e.g. kv put greeting hello
  smoke    write and read keys, stop one store, write and read again, start it again
  down     stop the cluster (data kept in its volumes); down --volumes deletes the data

Needs docker with a running daemon and docker-compose (1.28 or later). Set
ATOLL_COMPOSE_PROJECT to run a second cluster under another name.
USAGE
}

need_docker() {
  command -v docker >/dev/null || { echo "docker is not installed" >&2; exit 1; }
  command -v docker-compose >/dev/null || { echo "docker-compose is not installed" >&2; exit 1; }
  docker info >/dev/null 2>&1 || { echo "the docker daemon is not running (start dockerd)" >&2; exit 1; }
}

kv() {
  "${compose[@]}" run --rm -T kv "$1" --pd "$pd" "${@:2}"
}

# Waits until every service reports healthy (or fails after 120 s).
wait_healthy() {
  local services=(pd1 pd2 pd3 store1 store2 store3)
  for _ in $(seq 1 120); do
    local healthy=0
    for s in "${services[@]}"; do
      local id
      id="$("${compose[@]}" ps -q "$s")"
      [[ -n "$id" && "$(docker inspect -f '{{.State.Health.Status}}' "$id" 2>/dev/null)" == healthy ]] &&
        healthy=$((healthy + 1))
    done
    [[ $healthy -eq ${#services[@]} ]] && return 0
    sleep 1
  done
  echo "the cluster did not become healthy within 120 s:" >&2
  "${compose[@]}" ps >&2
  return 1
}

expect_value() {
  local got
  got="$(kv get "$1")"
  if [[ "$got" != "$2" ]]; then
    echo "smoke: $1 is '$got', expected '$2'" >&2
    exit 1
  fi
}

smoke() {
  local stamp
  stamp="$(date +%s)"
  for i in 1 2 3; do kv put "smoke-$stamp-$i" "value-$i" >/dev/null; done
  for i in 1 2 3; do expect_value "smoke-$stamp-$i" "value-$i"; done
  echo "smoke: 3 keys written and read back"
  # One store down: a majority of every region's replicas is left, so writes go on.
  "${compose[@]}" stop store2 >/dev/null 2>&1
  for i in 4 5 6; do kv put "smoke-$stamp-$i" "value-$i" >/dev/null; done
  for i in 1 2 3 4 5 6; do expect_value "smoke-$stamp-$i" "value-$i"; done
  echo "smoke: with store2 stopped, 3 more keys written and all 6 read back"
  "${compose[@]}" start store2 >/dev/null 2>&1
  wait_healthy
  echo "smoke: store2 back; the cluster is healthy"
}

case "${1:-}" in
  -h | --help | help) usage ;;
  build) need_docker; "$root/docker/build-images.sh" ;;
  up) need_docker; "${compose[@]}" up -d; wait_healthy; echo "cluster up: PD at $pd (inside the network)" ;;
  status) need_docker; "${compose[@]}" run --rm -T ctl status --pd "$pd" ;;
  kv) need_docker; shift; [[ $# -gt 0 ]] || { usage >&2; exit 2; }; kv "$@" ;;
  smoke) need_docker; smoke ;;
  down)
    need_docker
    if [[ "${2:-}" == "--volumes" ]]; then "${compose[@]}" down --volumes; else "${compose[@]}" down; fi
    ;;
  *) usage >&2; exit 2 ;;
esac
