#!/usr/bin/env bash
# A throwaway three-node Redis Cluster (no replicas) on free local ports, for the
# Redis Cluster test suites and the store benchmark. Needs only redis-server and
# redis-cli (Redis 7 or Valkey's binaries under those names).
#
#   eval "$(.ci/redis-cluster.sh start)"     # exports TEST_REDIS_CLUSTER_URLS, REDIS_CLUSTER_DIR
#   cargo test --workspace --test api -- redis_cluster
#   .ci/redis-cluster.sh stop "$REDIS_CLUSTER_DIR"
#
# `start` prints only the two `export` lines on stdout (progress goes to stderr).
# Each start gets its own temporary directory (node configs, logs, pid files), so
# several clusters can run side by side. `stop` ends the nodes started there, by the
# pids they recorded, and removes the directory.
set -euo pipefail

NODES=3
MARKER=.milestone-bot-redis-cluster

say() { printf 'redis-cluster: %s\n' "$*" >&2; }

# Something answers on the port (bash's /dev/tcp; no other tool needed).
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A node answers PING within about five seconds.
node_up() {
  for _ in $(seq 1 50); do
    if redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Starts one node on a free port (its cluster bus is port + 10000; both are below
# Linux's ephemeral range, so outgoing connections do not take them meanwhile).
# Prints the port.
start_node() {
  local dir=$1 port
  for _ in $(seq 1 50); do
    port=$((10000 + RANDOM % 10000))
    if [ -e "$dir/$port" ] || port_in_use "$port" || port_in_use $((port + 10000)); then
      continue
    fi
    mkdir -p "$dir/$port"
    redis-server --port "$port" --bind 127.0.0.1 \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
      --save "" --appendonly no --dir "$dir/$port" \
      --daemonize yes --pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log" \
      </dev/null >/dev/null 2>&1 || true
    if node_up "$port"; then
      echo "$port"
      return 0
    fi
    # Lost the port to someone else between the check and the bind: try another.
    say "port $port did not come up; trying another"
  done
  return 1
}

stop() {
  local dir=${1:-${REDIS_CLUSTER_DIR:-}}
  if [ -z "$dir" ] || [ ! -f "$dir/$MARKER" ]; then
    say "stop: ${dir:-(no directory given)} is not a cluster directory made by start"
    return 1
  fi
  local pids=() pidfile pid
  for pidfile in "$dir"/*/redis.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill "$pid" 2>/dev/null; then pids+=("$pid"); fi
  done
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${pids[@]}"; do
      if kill -0 "$pid" 2>/dev/null; then alive=1; fi
    done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  rm -rf "$dir"
  say "stopped ${#pids[@]} node(s)"
}

start() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    say "needs redis-server and redis-cli (apt-get install -y redis-server)"
    return 1
  fi
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/redis-cluster.XXXXXX")
  touch "$dir/$MARKER"
  local ports=() port
  for _ in $(seq 1 "$NODES"); do
    if ! port=$(start_node "$dir"); then
      say "could not start a node"
      stop "$dir" || true
      return 1
    fi
    ports+=("$port")
  done
  local addrs=() urls=()
  for port in "${ports[@]}"; do
    addrs+=("127.0.0.1:$port")
    urls+=("redis://127.0.0.1:$port")
  done
  if ! redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes \
    >"$dir/create.log" 2>&1; then
    cat "$dir/create.log" >&2
    stop "$dir" || true
    return 1
  fi
  # Every node must see all 16384 slots served before the cluster takes commands.
  for port in "${ports[@]}"; do
    local ok=0
    for _ in $(seq 1 300); do
      if redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; then
        ok=1
        break
      fi
      sleep 0.1
    done
    if [ "$ok" = 0 ]; then
      say "node $port never reached cluster_state:ok"
      stop "$dir" || true
      return 1
    fi
  done
  say "up: ${addrs[*]} (files in $dir)"
  local joined
  joined=$(IFS=,; echo "${urls[*]}")
  printf 'export TEST_REDIS_CLUSTER_URLS=%s\n' "$joined"
  printf 'export REDIS_CLUSTER_DIR=%s\n' "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
