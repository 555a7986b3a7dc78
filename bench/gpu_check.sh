#!/usr/bin/env bash
# Issue 8's GPU checks in one device call, at most eight minutes on one H100:
#     run(command="bash bench/gpu_check.sh", carry=[".whl"], timeout_s=590)
# (.whl/ from bench/device_wheels.sh, made beforehand on a machine with package access).
# Installs the carried wheels and this package, runs the GPU tests, then the benchmark at paper
# size. Logs and the JSON land in $OUT; copy the JSON to bench/results/ and commit it.
# A shorter follow-up: SA_COMPILE_TESTS=1 TEST_TIMEOUT_S=120 BENCH_PHASES="codec profile"
# BUDGET_S=150 bash bench/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/device_env.sh
timeout "${TEST_TIMEOUT_S:-60}" python3 -m pytest tests/engine/accel -m gpu -q -p no:warnings \
    2>&1 | tee "$out/gpu-tests.log"
# BENCH_PHASES: a shorter rerun of some phases (default: all); BENCH_ARGS: more options, e.g.
# "--codec-lstm-dtype float16" or "--compile-mode max-autotune-no-cudagraphs"
timeout $(( ${BUDGET_S:-330} + 50 )) python3 bench/bench_speed.py --size paper \
    --budget-s "${BUDGET_S:-330}" ${BENCH_PHASES:+--phases $BENCH_PHASES} ${BENCH_ARGS:-} \
    --out "$out/speed-paper.json" 2>&1 | tee "$out/bench.log"
