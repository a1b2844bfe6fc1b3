#!/usr/bin/env bash
# The long 3-channel end to end (tests/Ristretto.Tests/Cli/CifarEndToEndTests.cs): writes a CIFAR-10 folder of
# coloured shapes, trains the zoo cifar10 net with `ristretto train`, runs the DFP search, a 4/4/4 plan and its
# fine-tuning, and prints the figures. About 5 minutes on 2 idle cores. Extra arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
RISTRETTO_LONG_TESTS=1 exec dotnet test tests/Ristretto.Tests/Ristretto.Tests.csproj -c Release \
  --filter "FullyQualifiedName~Ristretto.Tests.Cli.CifarEndToEndTests" --logger "console;verbosity=detailed" "$@"
