#!/usr/bin/env bash
# Runs the Bicep CLI, installed once into .cache/ (git-ignored) from NuGet, where Microsoft publishes
# it as Azure.Bicep.CommandLine.linux-x64 (the single-file executable at tools/bicep in the package).
# dotnet restores it through a throw-away project, so NuGet checks the package's signature and hash.
#   bash scripts/bicep.sh build infra/main.bicep --stdout
#   bash scripts/bicep.sh --path     prints the CLI's path if it is installed, exits 1 if not (installs nothing)
set -euo pipefail
cd "$(dirname "$0")/.."

version=0.49.2
package=Azure.Bicep.CommandLine.linux-x64
dir="$PWD/.cache/bicep-$version"
bicep="$dir/bicep"

if [ "${1:-}" = --path ]; then
  [ -x "$bicep" ] && echo "$bicep" && exit 0
  exit 1
fi
if [ "$(uname -sm)" != "Linux x86_64" ]; then
  echo "bicep.sh: $package is the Linux x86_64 build; install Bicep another way (az bicep install)" >&2
  exit 1
fi
if [ ! -x "$bicep" ]; then
  command -v dotnet >/dev/null 2>&1 || {
    echo "bicep.sh: the Bicep CLI comes from NuGet through dotnet, which is not installed" >&2
    exit 1
  }
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  cat >"$tmp/bicep-download.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net$(dotnet --version | cut -d. -f1-2)</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="$package" Version="[$version]" /></ItemGroup>
</Project>
XML
  echo "bicep.sh: installing $package $version from NuGet into .cache/" >&2
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet restore "$tmp/bicep-download.csproj" \
    --packages "$tmp/packages" --verbosity quiet >&2
  mkdir -p "$dir.partial"
  cp "$tmp/packages/$(echo "$package" | tr '[:upper:]' '[:lower:]')/$version/tools/bicep" "$dir.partial/bicep"
  chmod +x "$dir.partial/bicep"
  rm -rf "$dir" && mv "$dir.partial" "$dir"
fi
exec "$bicep" "$@"
