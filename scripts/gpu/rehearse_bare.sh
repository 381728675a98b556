#!/bin/sh
# Rehearse the GPU run on this CPU machine, in a simulated bare environment, before spending GPU time.
#
# A fresh venv stands in for the GPU machine's Python: it gets only the report's needs that that machine
# has preinstalled (bundle.py --print-preinstalled; torch from this machine's disk), nothing of the report's
# own stack. The bundle is built for this Python, then full_report.py installs it and builds the `smoke`
# report on the CPU, exactly as it will build `full` on the GPU. Needs the package registry; about 10 min.
#
#   sh scripts/gpu/rehearse_bare.sh [WORK]      # default /tmp/fmnist-bare; results in WORK/out
set -eu
cd "$(dirname "$0")/../.."
WORK=${1:-/tmp/fmnist-bare}
VERSION=$(python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
rm -rf "$WORK" && mkdir -p "$WORK"
python3 -m venv "$WORK/python"
.venv/bin/python scripts/gpu/bundle.py --print-preinstalled > "$WORK/preinstalled.txt"
"$WORK/python/bin/pip" install --quiet -r "$WORK/preinstalled.txt"
.venv/bin/python scripts/gpu/bundle.py --python-version "$VERSION" --dest "$WORK/bundle"
"$WORK/python/bin/python" scripts/gpu/full_report.py --out "$WORK/out" --work "$WORK/work" --bundle "$WORK/bundle" \
    --profile smoke --device cpu --packing 1,2 --bench-steps 2 --check-epochs 1 --check-subset 2000 --deadline-min 40
test -f "$WORK/out/DONE" && python3 -c "import json,sys; t=json.load(open(sys.argv[1])); \
bad={k: v['status'] for k, v in t['phases'].items() if v['status'] != 'ok'}; print(t['phases']); sys.exit(1 if bad else 0)" \
    "$WORK/out/timings.json"
