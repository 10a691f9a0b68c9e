# Tests/multihost/cluster.sh — a throw-away cluster of N "hosts" on this machine: one network
# namespace per host (its own hostname through a UTS namespace, eth0 on a private /24), a
# bridge in the root namespace joining them, names in /etc/hosts, and an rsh agent that lets
# mpirun start its daemons inside a namespace (no ssh). Everything it makes carries this
# run's id and is removed by mh_stop (processes in the namespaces, the namespaces, the bridge,
# the /etc/hosts lines it added); nothing it did not make is touched. Sourced by run.sh.
#
#   mh_possible        whether this machine lets us create a network namespace (root, kernel)
#   mh_start N         N hosts: MH_HOST[1..N] (names), MH_ADDR[1..N], MH_VETH[1..N] (root-side
#                      link of each host), MH_SUBNET, MH_AGENT (the rsh agent), MH_DIR (temp folder)
#   $MH_MPIEXEC --host h1,h2 [-n N] ARGS...   MPICH's mpiexec.mpich (hydra) over the cluster, 1 rank
#                      per host (or N ranks round robin)
#   mh_mpirun ARGS...  (also the script $MH_MPIRUN) mpirun over the cluster (TCP between hosts, shared memory within one;
#                      MH_BTL=vader,self in the environment to allow shared memory only);
#                      place ranks with --host name:slots,... in ARGS
#   mh_cut I / mh_heal I   take host I's link down / up (what a failed switch port does)
#   mh_exec I CMD...   run CMD inside host I (its namespace, its hostname)
#   mh_host_pids I     pids of the processes inside host I's namespace
#   mh_stop            kill what runs in the namespaces, delete them, the bridge, the hosts lines
# The subnet is 10.77.X.0/24 with the first X that no interface of this machine uses; a lock
# file serialises harness runs, so two never share names or addresses.

MH_ID=""
MH_HOST=(); MH_ADDR=(); MH_VETH=()
MH_N=0
MH_SUBNET=""; MH_BRIDGE=""; MH_DIR=""; MH_AGENT=""
MH_HOSTS_TAG=""
MH_LOCK_FD=""

mh_log() { echo "multihost: $*"; }

# True when a network namespace can be created (and deleted) here.
mh_possible() {
    [ "$(id -u)" = 0 ] || { MH_WHY="not root (ip netns add needs CAP_SYS_ADMIN)"; return 1; }
    command -v ip >/dev/null || { MH_WHY="no 'ip' command (iproute2)"; return 1; }
    command -v unshare >/dev/null || { MH_WHY="no 'unshare' command (util-linux)"; return 1; }
    local probe="mhprobe$$" err
    if ! err=$(ip netns add "$probe" 2>&1); then
        MH_WHY="ip netns add failed: $err"; return 1
    fi
    ip netns del "$probe" 2>/dev/null
    if ! err=$(ip link add "mhpb$$" type bridge 2>&1); then
        MH_WHY="cannot create a bridge: $err"; return 1
    fi
    ip link del "mhpb$$" 2>/dev/null
    return 0
}

mh_start() {
    local n=$1 i x
    MH_ID=$$
    # One harness at a time (names and subnet are per run, but the lock keeps two runs from
    # racing for the same free subnet).
    # (The braces keep the 2>/dev/null to this open: on `exec` itself it would send the
    # caller's stderr to /dev/null for good.)
    { exec {MH_LOCK_FD}>/run/lock/infomax-multihost.lock; } 2>/dev/null || exec {MH_LOCK_FD}>/tmp/infomax-multihost.lock
    flock -w 900 "$MH_LOCK_FD" || { mh_log "another multihost harness holds the lock for 15 min"; return 1; }
    MH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/infomax-multihost.XXXXXX") || return 1
    chmod 755 "$MH_DIR"
    for x in $(seq 0 250); do
        ip -o -4 addr show | grep -q " 10\.77\.$x\." || { MH_SUBNET="10.77.$x"; break; }
    done
    [ -n "$MH_SUBNET" ] || { mh_log "no free 10.77.X.0/24 subnet"; return 1; }
    MH_BRIDGE="mhbr$MH_ID"
    ip link add "$MH_BRIDGE" type bridge || return 1
    ip addr add "$MH_SUBNET.254/24" dev "$MH_BRIDGE" || return 1
    ip link set "$MH_BRIDGE" up || return 1
    MH_HOSTS_TAG="# infomax-multihost $MH_ID"
    for i in $(seq 1 "$n"); do
        MH_HOST[i]="mh${MH_ID}n$i"
        MH_ADDR[i]="$MH_SUBNET.$i"
        MH_VETH[i]="mv${MH_ID}n$i"
        ip netns add "${MH_HOST[i]}" || return 1
        MH_N=$i
        ip link add "${MH_VETH[i]}" type veth peer name eth0 netns "${MH_HOST[i]}" || return 1
        ip link set "${MH_VETH[i]}" master "$MH_BRIDGE" up || return 1
        ip netns exec "${MH_HOST[i]}" ip addr add "${MH_ADDR[i]}/24" dev eth0 || return 1
        ip netns exec "${MH_HOST[i]}" ip link set eth0 up || return 1
        ip netns exec "${MH_HOST[i]}" ip link set lo up || return 1
        printf '%s %s %s\n' "${MH_ADDR[i]}" "${MH_HOST[i]}" "$MH_HOSTS_TAG" >> /etc/hosts
    done
    # mpirun calls the agent as `AGENT HOST COMMAND...` (like ssh): run the command inside the
    # host's namespace with the host's name.
    MH_AGENT="$MH_DIR/netns-agent"
    cat > "$MH_AGENT" <<'AGENT'
#!/bin/sh
# rsh agent of the multihost test cluster: AGENT HOST COMMAND... runs COMMAND in HOST's
# network namespace under a UTS namespace named HOST (what ssh HOST COMMAND does on a cluster).
host=$1; shift
exec ip netns exec "$host" unshare --uts sh -c "hostname $host && exec sh -c \"\$0\"" "$*"
AGENT
    chmod 755 "$MH_AGENT"
    mh_write_mpirun
    mh_write_mpiexec
    # The bridge needs a moment before the ports forward.
    for i in $(seq 1 "$n"); do
        for _ in $(seq 1 40); do
            timeout 2 ip netns exec "${MH_HOST[i]}" bash -c "exec 3<>/dev/tcp/$MH_SUBNET.254/9" 2>&1 | grep -qi refused && break
            sleep 0.25
        done
    done
    mh_log "cluster up: ${MH_HOST[*]:1} on $MH_SUBNET.0/24 (bridge $MH_BRIDGE)"
}

# mpirun over the cluster, as a script (so `timeout` and `&` work on it).
mh_write_mpirun() {
    MH_MPIRUN="$MH_DIR/mpirun"
    cat > "$MH_MPIRUN" <<MPIRUN
#!/bin/sh
# mpirun across the multihost test cluster: daemons started through the netns agent, TCP
# between hosts on $MH_SUBNET.0/24 only, shared memory (vader) between ranks of one host.
# The "hosts" share this machine's cores with each other and with the kernel's network
# stack, so waiting ranks yield the core (mpi_yield_when_idle) instead of spinning on it;
# a real cluster whose nodes have a core per rank does not need that.
# TCP keepalive on the daemons' control connections (3 s idle, 3 probes 2 s apart): a host
# whose network is gone is declared lost after about 9 s and the job ends, naming it. With
# Open MPI's defaults (300 s, 9 × 20 s) the job waits for minutes, and if anything aborts the
# job first, mpirun hangs on the lost daemon (measured; see the README's HPC section).
exec mpirun --allow-run-as-root --oversubscribe --bind-to none --mca mpi_yield_when_idle 1 \\
    --mca oob_tcp_keepalive_time 3 --mca oob_tcp_keepalive_intvl 2 --mca oob_tcp_keepalive_probes 3 \\
    --mca plm_rsh_agent "$MH_AGENT" --mca plm_rsh_no_tree_spawn 1 \\
    --mca btl "\${MH_BTL:-tcp,vader,self}" --mca btl_tcp_if_include "$MH_SUBNET.0/24" \\
    --mca oob_tcp_if_include "$MH_SUBNET.0/24" \\
    -x OPENBLAS_NUM_THREADS=1 "\$@"
MPIRUN
    chmod 755 "$MH_MPIRUN"
}
mh_mpirun() { "$MH_MPIRUN" "$@"; }

# MPICH's hydra across the cluster, as a script: `$MH_MPIEXEC --host h1,h2,... [-n N] PROGRAM
# ARGS...` (one rank per host listed, or N ranks round robin over them). Proxies are started through the netns agent; mpiexec listens on the
# bridge (-iface); the ranks' UCX talks TCP over eth0 only (UCX_TLS=tcp,self: no shared-memory
# shortcut between "hosts" that are one machine, so a cut link really cuts them off).
mh_write_mpiexec() {
    MH_MPIEXEC="$MH_DIR/mpiexec"
    cat > "$MH_MPIEXEC" <<MPIEXEC
#!/bin/sh
[ "\$1" = --host ] || { echo "usage: \$0 --host h1,h2,... [-n N] PROGRAM ARGS..." >&2; exit 64; }
hosts=\$2; shift 2
n=\$(echo "\$hosts" | tr ',' '\\n' | wc -l)
# -n N (as jobs/lib.sh's LAUNCHER=mpiexec passes it): N ranks over the hosts, round robin.
if [ "\$1" = -n ]; then n=\$2; shift 2; fi
exec mpiexec.mpich -launcher rsh -launcher-exec "$MH_AGENT" -iface "$MH_BRIDGE" -hosts "\$hosts" -n "\$n" \\
    -genv OPENBLAS_NUM_THREADS 1 -genv UCX_TLS tcp,self -genv UCX_NET_DEVICES eth0 "\$@"
MPIEXEC
    chmod 755 "$MH_MPIEXEC"
}

mh_exec() { local i=$1; shift; ip netns exec "${MH_HOST[i]}" unshare --uts sh -c "hostname ${MH_HOST[i]} && exec \"\$@\"" sh "$@"; }
mh_cut() { ip link set "${MH_VETH[$1]}" down; }
mh_heal() { ip link set "${MH_VETH[$1]}" up; }
mh_host_pids() { ip netns pids "${MH_HOST[$1]}" 2>/dev/null; }

mh_stop() {
    local i pids
    for i in $(seq 1 "$MH_N"); do
        pids=$(mh_host_pids "$i")
        if [ -n "$pids" ]; then
            # shellcheck disable=SC2086
            kill -KILL $pids 2>/dev/null
        fi
    done
    for i in $(seq 1 "$MH_N"); do
        for _ in $(seq 1 20); do [ -z "$(mh_host_pids "$i")" ] && break; sleep 0.25; done
        ip netns del "${MH_HOST[i]}" 2>/dev/null
        ip link del "${MH_VETH[i]}" 2>/dev/null
    done
    MH_N=0
    [ -n "$MH_BRIDGE" ] && ip link del "$MH_BRIDGE" 2>/dev/null
    MH_BRIDGE=""
    if [ -n "$MH_HOSTS_TAG" ] && grep -qF "$MH_HOSTS_TAG" /etc/hosts; then
        # Rewrite in place (the file may be a bind mount): every line but ours, same order.
        local kept
        kept=$(grep -vF "$MH_HOSTS_TAG" /etc/hosts; echo x)
        printf '%s' "${kept%x}" > /etc/hosts
    fi
    MH_HOSTS_TAG=""
    [ -n "$MH_DIR" ] && rm -rf "$MH_DIR"
    MH_DIR=""
    [ -n "$MH_LOCK_FD" ] && exec {MH_LOCK_FD}>&-
    MH_LOCK_FD=""
}
