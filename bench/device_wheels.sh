#!/usr/bin/env bash
# Fetch, on a machine with package access, the wheels that the GPU machine lacks for the engine
# (its image has torch 2.11, torchaudio, transformers, but not descript-audio-codec and the
# modules `import dac` pulls in). They land in .whl/ (git-ignored by .gitignore); the device
# run carries that folder. Python 3.12, x86-64, as there.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .whl
platforms=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
           --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)
binary=(descript-audio-codec==1.0.0 descript-audiotools==0.7.2 docstring-parser==0.18.0
        ffmpy==1.0.0 flatten-dict==0.5.0 julius==0.2.8 importlib-resources==7.1.0 fire==0.7.1
        termcolor==3.3.0 soundfile==0.14.0 cffi==2.0.0 soxr==1.1.0 platformdirs==4.14.8)
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp "${platforms[@]}" -d .whl "${binary[@]}"
# published as source only; pure Python, so a wheel built here serves any Python 3
python3 -m pip wheel -q --no-deps -w .whl argbind==0.3.9 randomname==0.2.1
ls .whl
