#!/usr/bin/env bash
# Sourced by the device-machine scripts (gpu_check.sh, gpu_codec_check.sh), from the repository
# root: installs the wheels carried in .whl/ (bench/device_wheels.sh) and this package, checks
# that the engine imports, and records the GPU in $out/gpu.txt. Sets $out (from $OUT).
export PYTHONUNBUFFERED=1
out="${OUT:-/tmp/sa-gpu-check}"
mkdir -p "$out"
if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 3
    export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
if ! python3 -m pip install -q --no-index --no-deps --no-build-isolation -e .; then
    # no build backend that can install in place: the same import names through links
    mkdir -p /tmp/sa-src/semanticaudio
    cp semanticaudio/__init__.py /tmp/sa-src/semanticaudio/
    for part in engine bridge presets; do ln -sfn "$PWD/$part" "/tmp/sa-src/semanticaudio/$part"; done
    export PYTHONPATH="/tmp/sa-src:$PYTHONPATH"
fi
python3 -c "import dac, semanticaudio.engine.accel" || exit 5
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
