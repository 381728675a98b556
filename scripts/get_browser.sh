#!/bin/sh
# Install Debian's Chromium for the site's browser tests (tests/test_site.py); nothing else needs it.
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests ..."
    apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
    exit $?
fi
echo "chromium is not installed and cannot be installed here (needs root and apt-get); the browser tests will be skipped." >&2
