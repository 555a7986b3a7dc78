#!/usr/bin/env bash
# Issue 8's GPU checks in one device call, at most eight minutes on one H100:
#     run(command="bash bench/gpu_check.sh", carry=[".whl"], timeout_s=590)
# (.whl/ from bench/device_wheels.sh, made beforehand on a machine with package access).
# Installs the carried wheels and this package, runs the GPU tests, then the benchmark at paper
# size. Logs and the JSON land in $OUT; copy the JSON to bench/results/ and commit it.
set -uo pipefail
export PYTHONUNBUFFERED=1
out="${OUT:-/tmp/sa-gpu-check}"
mkdir -p "$out"
if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 3
    export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
python3 -m pip install -q --no-index --no-deps --no-build-isolation -e . || exit 4
python3 -c "import dac, semanticaudio.engine.accel" || exit 5
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
timeout 60 python3 -m pytest tests/engine/accel -m gpu -q -p no:warnings 2>&1 \
    | tee "$out/gpu-tests.log"
timeout 380 python3 bench/bench_speed.py --size paper --budget-s "${BUDGET_S:-330}" \
    --out "$out/speed-paper.json" 2>&1 | tee "$out/bench.log"
