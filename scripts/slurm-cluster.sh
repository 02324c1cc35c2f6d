#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the Slurm sweep tests (run as root, no systemd).
#   scripts/slurm-cluster.sh start|stop|status
# start: installs slurm-wlm + munge from apt if missing, writes slurm.conf into $AELAB_SLURM_DIR
# (default /var/lib/aelab-slurm, never the repo), starts munged, slurmctld and slurmd directly
# and waits until the node is idle. Idempotent. stop: slurmd, slurmctld and munged by the pids
# in their pid files only, waiting for each to exit.
# Clients (sbatch, squeue...) find the config through /etc/slurm/slurm.conf, which start links
# to ours when that path is free; otherwise export SLURM_CONF as printed.
set -euo pipefail

dir="${AELAB_SLURM_DIR:-/var/lib/aelab-slurm}"
conf="$dir/slurm.conf"
host="$(hostname -s)"

log() { echo "slurm-cluster: $*"; }
die() { echo "slurm-cluster: $*" >&2; exit 1; }

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_if_missing() {
  if command -v slurmctld >/dev/null && command -v munged >/dev/null && command -v sbatch >/dev/null; then
    return
  fi
  [[ $(id -u) -eq 0 ]] || die "slurm-wlm/munge are not installed and installing needs root"
  log "installing slurm-wlm and munge (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
}

write_config() {
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
  cat >"$conf.tmp" <<EOF
# Written by aelab scripts/slurm-cluster.sh: a one-node cluster for tests.
ClusterName=aelab
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
# No cgroups on these machines.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
# Short grace so that scancel/time limits are quick in tests: SIGTERM, then SIGKILL after 10 s.
KillWait=10
MinJobAge=300
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$conf.tmp" "$conf"
  mkdir -p /etc/slurm
  if [[ ! -e /etc/slurm/slurm.conf || "$(readlink /etc/slurm/slurm.conf || true)" == "$conf" ]]; then
    ln -sfn "$conf" /etc/slurm/slurm.conf
  else
    log "/etc/slurm/slurm.conf is someone else's; clients need: export SLURM_CONF=$conf"
  fi
}

start_munge() {
  if pid_alive /run/munge/munged.pid && [[ -S /run/munge/munge.socket.2 ]]; then return; fi
  if [[ ! -f /etc/munge/munge.key ]]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge
  chown munge:munge /run/munge
  runuser -u munge -- /usr/sbin/munged
}

wait_idle() {
  local state=""
  for _ in $(seq 1 60); do
    state="$(SLURM_CONF="$conf" sinfo -h -o %T 2>/dev/null | head -1 || true)"
    if [[ "$state" == "idle" || "$state" == "mixed" || "$state" == "allocated" ]]; then
      log "node $host is $state (config $conf)"
      return
    fi
    sleep 1
  done
  die "the node did not become idle within 60 s (state: '${state:-none}'); see $dir/log/"
}

start() {
  install_if_missing
  write_config
  start_munge
  export SLURM_CONF="$conf"
  if ! pid_alive "$dir/run/slurmctld.pid"; then /usr/sbin/slurmctld; fi
  if ! pid_alive "$dir/run/slurmd.pid"; then /usr/sbin/slurmd; fi
  wait_idle
}

stop() {
  local name pid file
  for name in slurmd slurmctld munged; do
    file="$dir/run/$name.pid"
    [[ $name == munged ]] && file=/run/munge/munged.pid
    if pid_alive "$file"; then
      pid="$(cat "$file")"
      kill "$pid"
      # Wait for it to exit, so that a start right after does not find it still shutting down.
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; log "killed $name (no exit within 10 s)"; else log "stopped $name"; fi
    fi
  done
}

status() {
  local name up=0
  for name in slurmctld slurmd; do
    if pid_alive "$dir/run/$name.pid"; then log "$name running (pid $(cat "$dir/run/$name.pid"))"
    else log "$name not running"; up=1; fi
  done
  if [[ $up -eq 0 ]]; then SLURM_CONF="$conf" sinfo; fi
  return $up
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac
