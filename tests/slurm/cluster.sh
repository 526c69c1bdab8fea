#!/usr/bin/env bash
# A throw-away single-node Slurm cluster on 127.0.0.1, for tests: no systemd,
# no cgroups, every file (munge key and socket, configuration, state, logs)
# under one directory.
#
#   tests/slurm/cluster.sh up DIR     start munged, slurmctld and slurmd; print
#                                     the SLURM_CONF to export for clients
#   tests/slurm/cluster.sh down DIR   cancel every job, stop the daemons
#
# Needs Debian's slurmctld, slurmd, slurm-client and munge (22.05 here).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[[ -n $cmd && -n $dir ]] || { echo "usage: $0 up|down DIR" >&2; exit 2; }

down() {
    if [[ -f $dir/slurm.conf ]]; then
        SLURM_CONF=$dir/slurm.conf scancel --quiet --user="$(id -un)" 2>/dev/null || true
        sleep 0.5
    fi
    # steps of a cancelled job can outlive slurmd: stop the daemons last
    local p
    for p in slurmd slurmctld munged; do
        if [[ -f $dir/$p.pid ]]; then
            kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
        fi
    done
    for p in slurmd slurmctld munged; do
        if [[ -f $dir/$p.pid ]]; then
            local pid
            pid=$(cat "$dir/$p.pid")
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
            rm -f "$dir/$p.pid"
        fi
    done
}

up() {
    mkdir -p "$dir"/{state,spool,munge}
    # munged refuses a socket directory others cannot search (mktemp's 0700)
    chmod 0755 "$dir" "$dir/munge"
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 0400 "$dir/munge/munge.key"
    munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
        --pid-file="$dir/munged.pid" --log-file="$dir/munge/munged.log" \
        --seed-file="$dir/munge/munged.seed" --force
    local cpus
    cpus=$(getconf _NPROCESSORS_ONLN)
    cat >"$dir/slurm.conf" <<CONF
ClusterName=pairnet-test
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmctldPort=$((20000 + RANDOM % 20000))
SlurmdPort=$((40000 + RANDOM % 20000))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=2
SlurmctldTimeout=30
SlurmdTimeout=30
MpiDefault=none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
    slurmctld -f "$dir/slurm.conf"
    slurmd -f "$dir/slurm.conf"
    export SLURM_CONF=$dir/slurm.conf
    for _ in $(seq 100); do
        if sinfo -h -o %T 2>/dev/null | grep -q '^idle'; then
            echo "$dir/slurm.conf"
            return 0
        fi
        sleep 0.2
    done
    echo "error: the local Slurm node did not come up (logs in $dir)" >&2
    return 1
}

case $cmd in
up) up ;;
down) down ;;
*) echo "usage: $0 up|down DIR" >&2; exit 2 ;;
esac
