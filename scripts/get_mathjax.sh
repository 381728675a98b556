#!/bin/sh
# Vendor MathJax 3 into book/_vendor/mathjax (git-ignored) so the site typesets equations offline.
# Takes the npm registry's package; only the single-file component and its fonts are kept (1.6 MB).
set -eu
target=book/_vendor/mathjax
[ -f "$target/tex-mml-chtml.js" ] && exit 0
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's npm to vendor MathJax ..."
    apt-get install -y -qq --no-install-recommends npm >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends npm >/dev/null; } || true
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "npm is needed once to vendor MathJax (apt-get install npm, or any Node.js), then run make again." >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent mathjax@3 >/dev/null && tar xzf mathjax-*.tgz)
mkdir -p "$target/output/chtml/fonts"
cp "$work/package/es5/tex-mml-chtml.js" "$target/"
cp -r "$work/package/es5/output/chtml/fonts/woff-v2" "$target/output/chtml/fonts/"
echo "MathJax vendored into $target"
