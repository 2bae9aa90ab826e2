#!/usr/bin/env bash
# A local Redis Cluster of three masters for the test suites (the Redis
# contract and the session suites run on it too): ports REDIS_CLUSTER_PORT to
# REDIS_CLUSTER_PORT+2 (default 7379-7381; their cluster bus ports are 10000
# higher), files in a temporary folder. A cluster that already answers is
# reused; otherwise the missing servers are started, the cluster is created,
# and the script waits for cluster_state:ok. Prints the URL of one node.
# Concurrent callers are serialised (flock), so the cluster starts once.
#   scripts/redis-cluster.sh        start or reuse it
#   scripts/redis-cluster.sh stop   shut it down and forget it
set -euo pipefail

base=${REDIS_CLUSTER_PORT:-7379}
ports=("$base" "$((base + 1))" "$((base + 2))")
dir=${TMPDIR:-/tmp}/authority-redis-cluster-$base
mkdir -p "$dir"
exec 9>"$dir/lock"
flock 9

cli() { redis-cli -h 127.0.0.1 -p "$@"; }
answers() { cli "$1" ping >/dev/null 2>&1; }
ready() { cli "$1" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }
all_ready() { for port in "${ports[@]}"; do ready "$port" || return 1; done; }
stop() {
  for port in "${ports[@]}"; do cli "$port" shutdown nosave >/dev/null 2>&1 || true; done
  rm -f "$dir"/nodes-*.conf
}

if [ "${1:-}" = "stop" ]; then
  stop
  exit 0
fi

start() {
  for port in "${ports[@]}"; do
    answers "$port" && continue
    redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "$dir/nodes-$port.conf" --cluster-node-timeout 5000 \
      --save '' --appendonly no --dir "$dir" --logfile "$dir/redis-$port.log" --daemonize yes >/dev/null 9>&-
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 50); do answers "$port" && break; sleep 0.1; done
  done
  # Servers that know no slot yet: the cluster is still to be created.
  if cli "$base" cluster info | grep -q '^cluster_slots_assigned:0'; then
    redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >/dev/null 9>&-
  fi
  for _ in $(seq 100); do all_ready && return 0; sleep 0.2; done
  return 1
}

if ! all_ready; then
  # A cluster that cannot become healthy (a node lost its config) is rebuilt: its data is disposable.
  start || { stop && start; } || {
    echo "The Redis Cluster on ports ${ports[*]} did not become ready; see $dir/redis-*.log" >&2
    exit 1
  }
fi
echo "redis://127.0.0.1:$base"
