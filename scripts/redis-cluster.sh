#!/usr/bin/env bash
# A local Redis Cluster for the test suites (the Redis contract and the session
# suites run on it too): three masters, each with REDIS_CLUSTER_REPLICAS
# replicas (default 0), on ports from REDIS_CLUSTER_PORT up (default
# 7379-7381; their cluster bus ports are 10000 higher), files in a temporary
# folder. A cluster that already answers is reused; otherwise the missing
# servers are started, the cluster is created, and the script waits for
# cluster_state:ok on every node and every replica in sync. Prints the URL of
# one node. Concurrent callers are serialised (flock), so the cluster starts once.
#   scripts/redis-cluster.sh        start or reuse it
#   scripts/redis-cluster.sh stop   shut it down and forget it
# The failover test runs one with replicas:
#   REDIS_CLUSTER_PORT=7390 REDIS_CLUSTER_REPLICAS=1 scripts/redis-cluster.sh   (7390-7395)
set -euo pipefail

base=${REDIS_CLUSTER_PORT:-7379}
replicas=${REDIS_CLUSTER_REPLICAS:-0}
ports=()
for ((i = 0; i < 3 * (replicas + 1); i++)); do ports+=("$((base + i))"); done
dir=${TMPDIR:-/tmp}/authority-redis-cluster-$base
mkdir -p "$dir"
exec 9>"$dir/lock"
flock 9

cli() { redis-cli -h 127.0.0.1 -p "$@"; }
answers() { cli "$1" ping >/dev/null 2>&1; }
# Healthy, knows every node, and (a replica) in sync with its master.
ready() {
  local info
  info=$(cli "$1" cluster info 2>/dev/null) || return 1
  grep -q '^cluster_state:ok' <<<"$info" && grep -q "^cluster_known_nodes:${#ports[@]}\b" <<<"$info" || return 1
  info=$(cli "$1" info replication 2>/dev/null) || return 1
  grep -q '^role:master' <<<"$info" || grep -q '^master_link_status:up' <<<"$info"
}
all_ready() {
  for port in "${ports[@]}"; do ready "$port" || return 1; done
  # Each master has its replicas (a node that came back empty is no replica of anyone).
  [ "$(cli "$base" cluster nodes | grep -c 'slave')" -eq $((3 * replicas)) ]
}
stop() {
  # The ports it last started too (`stop` without the REDIS_CLUSTER_REPLICAS it was started with).
  local known=()
  [ -f "$dir/ports" ] && read -r -a known <"$dir/ports"
  for port in $(printf '%s\n' "${ports[@]}" "${known[@]}" | sort -u); do
    cli "$port" shutdown nosave >/dev/null 2>&1 || true
  done
  rm -f "$dir"/nodes-*.conf "$dir/ports"
}

if [ "${1:-}" = "stop" ]; then
  stop
  exit 0
fi

start() {
  echo "${ports[*]}" >"$dir/ports"
  for port in "${ports[@]}"; do
    answers "$port" && continue
    redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "$dir/nodes-$port.conf" --cluster-node-timeout 5000 \
      --save '' --appendonly no --dir "$dir" --dbfilename "dump-$port.rdb" --logfile "$dir/redis-$port.log" --daemonize yes >/dev/null 9>&-
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 50); do answers "$port" && break; sleep 0.1; done
  done
  # Servers that know no slot yet: the cluster is still to be created.
  if cli "$base" cluster info | grep -q '^cluster_slots_assigned:0'; then
    redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-replicas "$replicas" --cluster-yes >/dev/null 9>&-
  fi
  for _ in $(seq 150); do all_ready && return 0; sleep 0.2; done
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
