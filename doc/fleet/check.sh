#!/bin/sh
# Checks the fleet recipes as far as a machine without a cluster allows:
# the rules in them pass `sockfault check`, the Kubernetes YAML parses and
# its paths agree (the rules file the library reads is the one the
# ConfigMap mounts), and the systemd drop-in passes systemd-analyze verify.
set -eu
dir="$SF_SRCDIR/doc/fleet"
cli="$SF_CLI"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$cli" check -q "$dir/staging.rules"

py="${SF_PYTHON3:-}"
if [ -n "$py" ] && "$py" -c 'import yaml' 2>/dev/null; then
	"$py" - "$dir" "$tmp" <<'PY'
import sys, yaml, os
d, tmp = sys.argv[1], sys.argv[2]
cm = yaml.safe_load(open(os.path.join(d, "sockfault-rules-configmap.yaml")))
dep = yaml.safe_load(open(os.path.join(d, "deployment.yaml")))
assert cm["kind"] == "ConfigMap", cm["kind"]
assert dep["kind"] == "Deployment", dep["kind"]
spec = dep["spec"]["template"]["spec"]
c = spec["containers"][0]
env = {e["name"]: e["value"] for e in c["env"]}
mount = next(m for m in c["volumeMounts"] if m["name"] == "sockfault-rules")
vol = next(v for v in spec["volumes"] if v["name"] == "sockfault-rules")
assert vol["configMap"]["name"] == cm["metadata"]["name"], "the volume mounts another ConfigMap"
rules = env["SOCKFAULT_RULES"]
assert os.path.dirname(rules) == mount["mountPath"], "SOCKFAULT_RULES is not under the ConfigMap's mount"
key = os.path.basename(rules)
assert key in cm["data"], "the ConfigMap has no key %s" % key
assert env["LD_PRELOAD"].endswith("/libsockfault.so")
assert env["SOCKFAULT_LOG_FORMAT"] == "json" and env["SOCKFAULT_RELOAD"] == "1"
open(os.path.join(tmp, key), "w").write(cm["data"][key])
print("kubernetes recipe: consistent; rules in", os.path.join(tmp, key))
PY
	"$cli" check -q "$tmp/staging.rules"
else
	echo "python3 with yaml not available: the Kubernetes YAML was not parsed"
fi

if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$tmp/units/orders.service.d"
	cp "$dir/orders.service" "$tmp/units/"
	cp "$dir/sockfault.conf" "$tmp/units/orders.service.d/"
	# verify loads the unit with its drop-ins from the directory given.
	SYSTEMD_UNIT_PATH="$tmp/units:" systemd-analyze verify "$tmp/units/orders.service" >"$tmp/verify.out" 2>&1 || {
		cat "$tmp/verify.out"
		exit 1
	}
	if grep -i "sockfault.conf" "$tmp/verify.out"; then
		exit 1
	fi
	SYSTEMD_UNIT_PATH="$tmp/units:" systemd-analyze cat-config "$tmp/units/orders.service" >/dev/null 2>&1 || true
	echo "systemd recipe: verified"
else
	echo "systemd-analyze not available: the drop-in was not verified"
fi
