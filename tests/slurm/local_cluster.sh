#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A one-node Slurm cluster on this machine, for the tests: Debian's slurm-wlm and munge.
#
#   (CPUs: getconf _NPROCESSORS_ONLN, not nproc, which obeys OMP_NUM_THREADS.)
#   local_cluster.sh start DIR     munged (if none answers), slurmctld and slurmd on localhost,
#                                  with DIR/slurm.conf and every state, spool, pid and log file
#                                  in DIR; waits until the node is idle. Prints
#                                  "export SLURM_CONF=DIR/slurm.conf".
#   local_cluster.sh stop DIR      stops what start started (by the pids in DIR).
#   local_cluster.sh run DIR CMD...  start, run CMD with SLURM_CONF set, stop: the cluster is
#                                  torn down however CMD ends (trap on EXIT, INT, TERM). Exits
#                                  with CMD's status.
#
# Run as root (slurmd starts the jobs as their owner). Ports: $MLSAN_SLURM_PORT (slurmctld) and
# the next one (slurmd), default a free pair from 26817. A requeued job waits cred_expire seconds
# before it starts again: 10 here (Slurm's default is 120).
set -uo pipefail

die() { echo "local_cluster: $*" >&2; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  local dir=$1
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" || die "cannot create $dir"
  dir=$(cd "$dir" && pwd)
  for b in /usr/sbin/slurmctld /usr/sbin/slurmd munge unmunge; do
    command -v "$b" >/dev/null || die "$b is not installed (Debian: slurm-wlm munge)"
  done
  # munge: reuse a running munged, else start the system one (its key is /etc/munge/munge.key).
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    [ -r /etc/munge/munge.key ] || die "no munge key at /etc/munge/munge.key (reinstall munge)"
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    chmod 0755 /run/munge
    runuser -u munge -- /usr/sbin/munged || die "munged did not start"
    echo started > "$dir/munged.started"
    for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
    munge -n | unmunge >/dev/null 2>&1 || die "munge -n | unmunge fails after starting munged"
  fi
  local port=${MLSAN_SLURM_PORT:-26817}
  while ! port_free "$port" || ! port_free $((port + 1)); do port=$((port + 2)); done
  local mem
  mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
  cat > "$dir/slurm.conf" <<CONF
# One-node test cluster written by tests/slurm/local_cluster.sh
ClusterName=mlsantest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
KillWait=10
MinJobAge=600
SlurmdTimeout=60
InactiveLimit=0
NodeName=localhost NodeHostname=$(hostname) CPUs=$(getconf _NPROCESSORS_ONLN) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  /usr/sbin/slurmctld -f "$dir/slurm.conf" || die "slurmctld did not start (see $dir/log/slurmctld.log)"
  /usr/sbin/slurmd -f "$dir/slurm.conf" || die "slurmd did not start (see $dir/log/slurmd.log)"
  local state=""
  for _ in $(seq 300); do
    state=$(SLURM_CONF="$dir/slurm.conf" sinfo -h -o %t 2>/dev/null | head -1)
    [ "$state" = idle ] && break
    sleep 0.2
  done
  [ "$state" = idle ] || { tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2; die "the node is '$state', not idle, after 60 s"; }
  echo "export SLURM_CONF=$dir/slurm.conf"
}

stop_pid() {
  local file=$1 pid
  [ -r "$file" ] || return 0
  pid=$(cat "$file")
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

stop() {
  local dir=$1
  [ -d "$dir" ] || return 0
  # Jobs first: nothing may keep running behind the test.
  [ -r "$dir/slurm.conf" ] && SLURM_CONF="$dir/slurm.conf" timeout 10 scancel --user="$(id -un)" 2>/dev/null
  stop_pid "$dir/slurmd.pid"
  stop_pid "$dir/slurmctld.pid"
  pkill -f "slurmstepd.*" -P 1 2>/dev/null || true
  if [ -e "$dir/munged.started" ]; then
    pkill -u munge -x munged 2>/dev/null || true
    rm -f "$dir/munged.started"
  fi
  return 0
}

case "${1:-}" in
  start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  run)
    [ $# -ge 3 ] || die "usage: $0 run DIR CMD..."
    # ctest reads this line as "skipped": the daemons and munge's key need root.
    [ "$(id -u)" -eq 0 ] || { echo "SKIPPED: a local Slurm cluster needs root (slurmd starts jobs as their owner)"; exit 0; }
    dir=$2; shift 2
    trap 'stop "$dir"' EXIT
    trap 'exit 130' INT TERM
    start "$dir" >/dev/null || exit 1
    export SLURM_CONF="$(cd "$dir" && pwd)/slurm.conf"
    "$@"
    ;;
  *) die "usage: $0 start|stop|run DIR [CMD...]" ;;
esac
