#!/usr/bin/env bash
# The post-training commands on a 3-channel net (tests/Ristretto.Tests/Cli/ThreeChannelPtqTests.cs): writes a CIFAR-10
# folder of coloured shapes, trains the zoo cifar10 net with `ristretto train`, then runs the default DFP search,
# --equalize, --adaround, --bias-correction, --search per-layer (with its report), --search hessian at the per-layer
# plan's BOPs and `report` over the plans, checks the Pareto front in the reports and prints the figures.
# Extra arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
RISTRETTO_LONG_TESTS=1 exec dotnet test tests/Ristretto.Tests/Ristretto.Tests.csproj -c Release \
  --filter "FullyQualifiedName~Ristretto.Tests.Cli.ThreeChannelPtqTests.Should_Run_The_Post_Training_Commands_On_A_Trained" \
  --logger "console;verbosity=detailed" "$@"
