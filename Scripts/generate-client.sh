#!/usr/bin/env bash
# Regenerates the test client (Tests/QianzhuangClient/Generated) from the contract, Sources/HTTPAPI/openapi.yaml,
# with swift-openapi-generator's CLI, and records the contract's SHA-256 beside it; OpenAPITests fails while the
# committed client was generated from another contract. Run it after every change to openapi.yaml and commit the
# result. The generator is built once (debug, a few minutes) in a scratch package, or taken from
# $SWIFT_OPENAPI_GENERATOR. The generated code is committed rather than produced by the build plugin, so a cold
# build does not build and run the generator.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
GENERATOR_VERSION=1.14.3   # keep with swift-openapi-runtime's version in Package.swift

generator="${SWIFT_OPENAPI_GENERATOR:-}"
if [ -z "$generator" ]; then
  # A fresh scratch package each run unless QZ_GENERATOR_SCRATCH names one to reuse (nothing left
  # over from another run is trusted by default).
  scratch="${QZ_GENERATOR_SCRATCH:-$(mktemp -d)}"
  mkdir -p "$scratch"
  cat > "$scratch/Package.swift" <<SWIFT
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "generator",
    dependencies: [.package(url: "https://github.com/apple/swift-openapi-generator.git", exact: "$GENERATOR_VERSION")],
    targets: []
)
SWIFT
  echo "generate-client: building swift-openapi-generator $GENERATOR_VERSION in $scratch" >&2
  swift build --package-path "$scratch" --product swift-openapi-generator >&2
  generator="$(swift build --package-path "$scratch" --show-bin-path)/swift-openapi-generator"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 Scripts/openapi_for_generator.py Sources/HTTPAPI/openapi.yaml "$work/openapi.json"
"$generator" generate --config Tests/QianzhuangClient/openapi-generator-config.yaml \
  --output-directory "$work/out" "$work/openapi.json" >&2
rm -rf Tests/QianzhuangClient/Generated
mkdir -p Tests/QianzhuangClient/Generated
cp "$work"/out/*.swift Tests/QianzhuangClient/Generated/
sha256sum Sources/HTTPAPI/openapi.yaml | cut -d' ' -f1 > Tests/QianzhuangClient/openapi.yaml.sha256
# The generated files' own digests: OpenAPITests refuses a generated file edited by hand.
(cd Tests/QianzhuangClient/Generated && sha256sum *.swift) > Tests/QianzhuangClient/generated.sha256
echo "generate-client: Tests/QianzhuangClient/Generated from openapi.yaml $(cat Tests/QianzhuangClient/openapi.yaml.sha256)" >&2
