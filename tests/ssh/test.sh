#!/usr/bin/env bash
# make test-ssh: README's ssh route, `scripts/grid.sh --print | parallel
# --sshloginfile FILE`, against a real sshd (Debian's openssh-server) on
# 127.0.0.1, into a grid folder whose path holds a space, each cell's
# table2.csv compared byte for byte with the same grid run here.
#
# The sshd is a throw-away: a high port on loopback, its own host key,
# sshd_config, authorized_keys, pid file and log in one temporary folder,
# and the client reads only its own ssh_config (-F): nothing in /etc/ssh or
# ~/.ssh is read or written (as root, sshd needs /run/sshd, which is made
# and removed again when missing). sshd and its sessions are stopped on
# every way out. Installs openssh-server and GNU parallel when missing (as
# root, with apt-get); where that cannot be done the tests are skipped and
# counted as such. Ends with "N passed, N failed, N skipped".
#   tests/ssh/test.sh [PAIRNET_BIN]      (MNIST from $PAIRNET_DATA)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
bin=$(cd "$(dirname "${1:-./pairnet}")" && pwd)/$(basename "${1:-./pairnet}")
data=${PAIRNET_DATA:-data/mnist}
tests=(ssh_login ssh_parallel_matches_local_run ssh_failing_cell_fails_parallel)
passed=0 failed=0 skipped=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; failed=$((failed + 1)); }
summary() { echo "$passed passed, $failed failed, $skipped skipped"; }
skip_all() {
    for t in "${tests[@]}"; do echo "skip $t ($1)"; skipped=$((skipped + 1)); done
    summary
    exit 0
}
# a setup step failed: it counts as the first test, the others as not run
fail_setup() { fail "${tests[0]}" "$@"; summary; exit 1; }

sshd=/usr/sbin/sshd # sshd re-executes itself: it needs its absolute path
have_tools() { [[ -x $sshd ]] && command -v ssh && command -v ssh-keygen && command -v parallel; } >/dev/null 2>&1
if ! have_tools; then
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        skip_all "openssh-server or GNU parallel is not installed and cannot be installed here (needs root and apt-get)"
    fi
    echo "installing openssh-server parallel (apt-get)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends openssh-server openssh-client parallel; } >/dev/null 2>&1 ||
        skip_all "apt-get could not install openssh-server and parallel"
    have_tools || skip_all "openssh-server or parallel still missing after apt-get"
fi
[[ -x $bin ]] || fail_setup "no pairnet binary at $bin"
[[ -d $data ]] || fail_setup "no MNIST in $data"
data=$(cd "$data" && pwd)

# No space in $tmp itself: parallel splits an sshlogin line at spaces, and
# the key and config paths are on it. The grid folder below has one.
tmp=$(mktemp -d /tmp/pairnet-ssh.XXXXXX)
made_run_sshd=0
sshd_pid=""
teardown() {
    if [[ -n $sshd_pid ]]; then
        # the listener's children are the sessions still open
        pkill -TERM -P "$sshd_pid" 2>/dev/null
        kill "$sshd_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$sshd_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$sshd_pid" 2>/dev/null
        wait "$sshd_pid" 2>/dev/null
    fi
    [[ $made_run_sshd -eq 1 ]] && rmdir /run/sshd 2>/dev/null
    rm -rf "$tmp"
}
trap teardown EXIT
trap 'exit 130' INT TERM HUP

user=$(id -un)
ssh-keygen -q -t ed25519 -N '' -C pairnet-test-host -f "$tmp/host_key" || fail_setup "ssh-keygen (host key) failed"
ssh-keygen -q -t ed25519 -N '' -C pairnet-test-user -f "$tmp/user_key" || fail_setup "ssh-keygen (user key) failed"
cp "$tmp/user_key.pub" "$tmp/authorized_keys"
chmod 600 "$tmp/authorized_keys"
if [[ $(id -u) -eq 0 && ! -d /run/sshd ]]; then
    # sshd run by root separates privileges into this compiled-in folder
    mkdir -m 0755 /run/sshd && made_run_sshd=1
fi

# Starts sshd on a free port (a few tries: another program may take the
# one picked); sets port and sshd_pid.
start_sshd() {
    for _ in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 40000))
        cat >"$tmp/sshd_config" <<EOF
ListenAddress 127.0.0.1:$port
HostKey $tmp/host_key
PidFile $tmp/sshd.pid
AuthorizedKeysFile $tmp/authorized_keys
AllowUsers $user
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
# the temporary folder sits in /tmp, which others may write
StrictModes no
UsePAM no
# parallel opens one connection per job at once
MaxStartups 50
LogLevel VERBOSE
EOF
        rm -f "$tmp/sshd.pid" "$tmp/sshd.log"
        "$sshd" -D -f "$tmp/sshd_config" -E "$tmp/sshd.log" &
        sshd_pid=$!
        # the pid file is written once sshd listens
        for _ in $(seq 100); do
            [[ -s $tmp/sshd.pid ]] && return 0
            kill -0 "$sshd_pid" 2>/dev/null || break
            sleep 0.05
        done
        kill "$sshd_pid" 2>/dev/null
        wait "$sshd_pid" 2>/dev/null
        sshd_pid=""
        grep -q 'Address already in use' "$tmp/sshd.log" 2>/dev/null || break
    done
    return 1
}
start_sshd || fail_setup "sshd did not start: $(tail -n 3 "$tmp/sshd.log" 2>/dev/null)"

# The client: only this config (-F), no known_hosts written, no prompt.
cat >"$tmp/ssh_config" <<EOF
Host pairnet-test
    HostName 127.0.0.1
    Port $port
    User $user
    IdentityFile $tmp/user_key
    IdentitiesOnly yes
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    BatchMode yes
    LogLevel ERROR
EOF
# 2 jobs at a time on the one "host"; parallel's own files go to $tmp, not ~/.parallel
echo "2/ssh -F $tmp/ssh_config pairnet-test" >"$tmp/hosts.txt"
export PARALLEL_HOME=$tmp/parallel-home
# Remote jobs start in --workdir rather than in ~: a path that a broken
# quoting splits ends up under $tmp, not in the user's home.
mkdir "$tmp/remote-cwd"
par=(parallel --will-cite --sshloginfile "$tmp/hosts.txt" --workdir "$tmp/remote-cwd")

# 1. a login runs a command as this user, through this sshd
# shellcheck disable=SC2016 # expanded by the remote shell
if out=$(timeout 30 ssh -F "$tmp/ssh_config" pairnet-test 'echo "$(id -un) $SSH_CONNECTION"' 2>&1) &&
    [[ $out == "$user 127.0.0.1 "*" 127.0.0.1 $port" ]]; then
    ok ssh_login
else
    fail ssh_login "ssh printed: $out" "$(tail -n 3 "$tmp/sshd.log")"
    summary
    exit 1
fi

# The binary behind a recorder: every cell appends where it ran (sshd sets
# SSH_CONNECTION in its sessions only), then runs pairnet itself. It and
# the data are reached through folders with spaces too: every path of a
# cell command crosses parallel's and the remote shell's quoting.
mkdir "$tmp/pairnet bin"
cat >"$tmp/pairnet bin/pairnet" <<EOF
#!/bin/sh
printf '%s\n' "\${SSH_CONNECTION:-here}" >>'$tmp/ran-at'
exec '$bin' "\$@"
EOF
chmod 755 "$tmp/pairnet bin/pairnet"
ln -s "$data" "$tmp/mnist data"
grid=(scripts/grid.sh --models mlp --lr "0.01 0.05" --bs 50 --rounds 1 --epochs 1
    --data "$tmp/mnist data" --bin "$tmp/pairnet bin/pairnet")
cells=("mlp/lr0.01_bs50" "mlp/lr0.05_bs50")
remote="$tmp/grid runs/over ssh"

# 2. every cell runs through sshd and equals the local run, byte for byte
timeout 120 "${grid[@]}" --out "$tmp/local" --jobs 2 >"$tmp/local.log" 2>&1
st_local=$?
: >"$tmp/ran-at"
timeout 120 "${grid[@]}" --out "$remote" --print >"$tmp/cells.txt" 2>"$tmp/print.log"
st_print=$?
timeout 120 "${par[@]}" --joblog "$tmp/joblog" <"$tmp/cells.txt" >"$tmp/parallel.log" 2>&1
st_par=$?
diffs=()
[[ $st_local -eq 0 ]] || diffs+=("the local grid exited $st_local: $(tail -n 2 "$tmp/local.log")")
[[ $st_print -eq 0 ]] || diffs+=("grid.sh --print exited $st_print: $(tail -n 2 "$tmp/print.log")")
[[ $st_par -eq 0 ]] || diffs+=("parallel exited $st_par: $(tail -n 3 "$tmp/parallel.log")")
for c in "${cells[@]}"; do
    if [[ ! -s $tmp/local/$c/table2.csv ]]; then
        diffs+=("$c: no local table2.csv")
    elif ! cmp -s "$tmp/local/$c/table2.csv" "$remote/$c/table2.csv"; then
        diffs+=("$c: table2.csv over ssh differs or is missing ($(tail -n 1 "$remote/$c/bench.log" 2>/dev/null))")
    fi
done
n_ssh=$(grep -c " 127.0.0.1 $port\$" "$tmp/ran-at")
[[ $n_ssh -eq ${#cells[@]} && $(wc -l <"$tmp/ran-at") -eq ${#cells[@]} ]] ||
    diffs+=("$n_ssh of ${#cells[@]} cells ran in a session of this sshd: $(tr '\n' ';' <"$tmp/ran-at")")
n_login=$(grep -c "Accepted publickey for $user from 127.0.0.1" "$tmp/sshd.log")
[[ $n_login -ge $((${#cells[@]} + 1)) ]] || diffs+=("sshd logged $n_login logins, expected at least $((${#cells[@]} + 1))")
if [[ ${#diffs[@]} -eq 0 ]]; then ok ssh_parallel_matches_local_run; else fail ssh_parallel_matches_local_run "${diffs[@]}"; fi

# 3. a failing cell fails parallel over ssh (its exit status comes back)
: >"$tmp/ran-at"
timeout 120 "${grid[@]}" --lr 0.1 --out "$remote" --print -- --aux-weight -1 >"$tmp/bad.txt" 2>&1
timeout 120 "${par[@]}" <"$tmp/bad.txt" >"$tmp/bad.log" 2>&1
st=$?
log="$remote/mlp/lr0.1_bs50/bench.log"
if [[ $st -eq 1 ]] && grep -q 'aux-weight' "$log" 2>/dev/null &&
    grep -q " 127.0.0.1 $port\$" "$tmp/ran-at"; then
    ok ssh_failing_cell_fails_parallel
else
    fail ssh_failing_cell_fails_parallel "parallel exited $st (want 1: one failed job)" \
        "ran at: $(tr '\n' ';' <"$tmp/ran-at")" "$(tail -n 2 "$log" 2>/dev/null)"
fi

summary
[[ $failed -eq 0 ]]
