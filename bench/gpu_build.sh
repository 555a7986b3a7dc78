#!/usr/bin/env bash
# The GPU part of a `mixed` build (issue 4) in one device call of at most ten minutes:
#     run(command="bash bench/gpu_build.sh", carry=[".whl"], timeout_s=590)
# (.whl/ from bench/device_wheels.sh). Runs `sa build-default --profile mixed --until codec`
# on the GPU: the corpus (deterministic by seed) and the codec. The build folder comes back
# without its corpus as $OUT/build.tgz, with the corpus's checksums, so that the build goes on
# where the corpus is made again, on two CPU cores:
#     sa build-default --out B --profile mixed --until corpus --threads 2   # a fresh folder
#     (cd B/corpus && sha256sum -c --quiet OUT/corpus.sha256)               # the same corpus
#     tar -xzf build.tgz -C B && sa build-default --out B --profile mixed --threads 2
# A codec step cut short by the time limit leaves its last checkpoint in partial/codec, which
# the next run of the same command resumes. PROFILE, DEVICE and BUDGET_S (seconds) override the
# defaults (mixed, cuda, 540): PROFILE=tiny DEVICE=cpu OUT=/tmp/o bash bench/gpu_build.sh tries it here.
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/device_env.sh
build=/tmp/sa-build
deadline=$(( SECONDS + ${BUDGET_S:-540} ))
sa=(python3 -m semanticaudio.engine.cli build-default --out "$build" --profile "${PROFILE:-mixed}"
    --threads 16)
"${sa[@]}" --until corpus > "$out/corpus.log" 2>&1 || { tail -5 "$out/corpus.log"; exit 6; }
(cd "$build/corpus" && find . -type f -print0 | sort -z \
    | xargs -0 sha256sum > "$out/corpus.sha256")
timeout $(( deadline - SECONDS - 20 )) "${sa[@]}" --until codec --device "${DEVICE:-cuda}" 2>&1 \
    | tr '\r' '\n' | grep -v '^ *$' | awk 'NR % 50 == 1 || /Error|error|ran:/' > "$out/codec.log"
tail -5 "$out/codec.log"
tar -czf "$out/build.tgz" -C "$build" --exclude=./corpus .
cp "$build/build_log.json" "$out/" 2>/dev/null
python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['steps']; \
print({k: (v['seconds'], v.get('device')) for k, v in s.items()})" "$build/build_log.json"
