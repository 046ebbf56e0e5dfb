#!/bin/sh
# Runs a node with its own version's templates.
#
# Debian's Alertmanager builds read templates from a compiled-in path
# (/usr/share/prometheus/alertmanager) and every version ships different ones. The process runtime
# starts each node as: setpriv --pdeathsig KILL -- unshare --mount --propagation private -- \
#   with-templates.sh <templates-dir> <mount-point> <program> [args...]
# so the bind mount below exists only in that node's private mount namespace, disappears with it,
# and `exec` keeps the pid (signals from the harness reach the node itself).
set -eu
src=$1 dst=$2
shift 2
mount --bind -o ro "$src" "$dst"
exec "$@"
