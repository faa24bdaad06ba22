#!/bin/sh
# Health script for a k3s server (configs/k3s-control-plane.yaml). Exit 0 = healthy.
#
# The built-in checks already cover etcd quorum, node readiness, Longhorn and alerts; this script
# covers what only the node itself can see: k3s running, its API answering locally, this node
# Ready, no disk or memory pressure. clusterrebootd runs it without arguments and without a
# shell, with RC_PHASE (monitor, pre-lock, post-lock, heartbeat, post-boot), RC_NODE_NAME, … set.
# Install root-owned, mode 0755 (a world-writable script is refused).
set -u

node="${RC_NODE_NAME:?RC_NODE_NAME not set}"
kubectl="k3s kubectl --request-timeout=5s"

fail() {
	echo "unhealthy: $*" >&2
	exit 1
}

systemctl is-active --quiet k3s || fail "k3s service is not active"

# The local API server (each server runs its own): /readyz covers etcd and informers.
$kubectl get --raw='/readyz' >/dev/null 2>&1 || fail "local API server not ready"

ready=$($kubectl get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)
[ "$ready" = "True" ] || fail "node $node is not Ready (Ready=$ready)"

for cond in MemoryPressure DiskPressure PIDPressure; do
	s=$($kubectl get node "$node" -o jsonpath="{.status.conditions[?(@.type==\"$cond\")].status}" 2>/dev/null)
	[ "$s" = "True" ] && fail "node $node reports $cond"
done

# Root file system: less than 90 % used (etcd and containerd images live there).
used=$(df -P / | awk 'NR==2 { sub("%", "", $5); print $5 }')
[ "${used:-0}" -lt 90 ] || fail "root file system ${used}% full"

echo "healthy (${RC_PHASE:-unknown} phase)"
exit 0
