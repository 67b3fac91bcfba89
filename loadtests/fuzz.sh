#!/usr/bin/env bash
# Runs every Jazzer fuzz target in fuzzing mode for 5 minutes each (the targets' maxDuration).
# `mvn verify` runs the same targets in regression mode on their seed corpora only.
# A crash is written under proxy/src/test/resources/io/sluice/fuzz/<Test>Inputs/<method>/ and then
# replays in every `mvn verify`: turn it into a named regression test and fix the code.
# usage: loadtests/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=5
targets=(RequestHeadFuzzTest RequestPathFuzzTest RouterFuzzTest ConfigLoaderFuzzTest)
for target in "${targets[@]}"; do
  echo "== fuzzing $target for ${minutes} min"
  JAZZER_FUZZ=1 timeout "$((minutes * 60 + 120))" \
    mvn -q -B test -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false || { echo "== $target found a problem (see above)"; exit 1; }
done
echo "== no findings"
