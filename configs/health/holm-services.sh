#!/bin/sh
# Health script for a HolmOS worker (configs/k3s-pi-longhorn.yaml). Exit 0 = healthy.
#
# The per-service /health endpoints are built-in `http` checks in the config; this script adds
# the node-local view: k3s agent running, this node Ready, the local Longhorn instance manager
# running (replicas on this node), and no pod of ours crash-looping here (the HolmOS runbook, "rollback triggers": repeated
# restarts are a rollback trigger — do not reboot into the middle of a rollback).
set -u

node="${RC_NODE_NAME:?RC_NODE_NAME not set}"
kubeconfig="${KUBECONFIG:-/etc/clusterrebootd/kubeconfig.yaml}"
kubectl="kubectl --kubeconfig=$kubeconfig --request-timeout=5s"

fail() {
	echo "unhealthy: $*" >&2
	exit 1
}

systemctl is-active --quiet k3s-agent || fail "k3s-agent service is not active"

ready=$($kubectl get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)
[ "$ready" = "True" ] || fail "node $node is not Ready (Ready=$ready)"

# Right after boot the instance manager takes a moment; the post-boot phase is retried.
im=$($kubectl -n longhorn-system get pods -l longhorn.io/component=instance-manager \
	--field-selector "spec.nodeName=$node,status.phase=Running" -o name 2>/dev/null | wc -l)
[ "$im" -ge 1 ] || fail "no running Longhorn instance manager on $node"

crashing=$($kubectl -n holm get pods --field-selector "spec.nodeName=$node" \
	-o jsonpath='{range .items[*]}{.metadata.name} {range .status.containerStatuses[*]}{.restartCount} {.state.waiting.reason}{"\n"}{end}{end}' 2>/dev/null |
	awk '$3 == "CrashLoopBackOff" { print $1 }' | sort -u | tr '\n' ' ')
[ -z "$crashing" ] || fail "pods crash-looping on $node: $crashing"

echo "healthy (${RC_PHASE:-unknown} phase)"
exit 0
