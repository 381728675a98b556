#!/bin/sh
# Obtain Fashion-MNIST for `make setup`: already there? Debian's package as root? Else torchvision's download.
# Usage: sh scripts/get_data.sh PATH/TO/fmnist
FMNIST=${1:-fmnist}

if "$FMNIST" data >/dev/null 2>&1; then
    exec "$FMNIST" data
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's dataset-fashion-mnist (30 MB) ..."
    if apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 ||
       { apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null; }; then
        exec "$FMNIST" data
    fi
fi
echo "Debian's dataset-fashion-mnist is not available here (not root, or no apt-get); trying torchvision's download ..."
if "$FMNIST" data --download; then
    exit 0
fi
cat >&2 <<'MSG'
Could not obtain Fashion-MNIST. Any one of these works, then run the make command again:
  - as root on Debian/Ubuntu:  apt-get install dataset-fashion-mnist
  - put the four IDX files (.gz or not) in a folder and: export FMNIST_DATA_DIR=/that/folder
  - with internet access:      .venv/bin/fmnist data --download
MSG
exit 1
