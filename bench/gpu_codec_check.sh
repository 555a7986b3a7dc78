#!/usr/bin/env bash
# Issue 4's codec question at GPU scale, in one device call (about six minutes on one H100):
#     run(command="bash bench/gpu_codec_check.sh", carry=[".whl"], timeout_s=590)
# (.whl/ from bench/device_wheels.sh). Generates the cpu build's corpus (2400 clips, seed 0, the
# one every CPU measurement used), trains a fresh codec with the gpu profile's recipe for
# $STEPS steps at batch 32, then bench/codec_latent_probe.py: does its latent hold the pitch
# (probe), does its round trip (decoder) render it, and what event F1 does the evaluator give
# the round trip of held-out single-event clips. Leaves codec-scale.json, the trained codec
# (codec/) and the logs in $OUT. The training's progress bar in train.log gives the seconds
# per step if the time limit cuts it short. ADVERSARIAL=dac (or mrd) trains with DAC's
# discriminators: does a codec trained against them render steady tones (codec-scale.json's
# "tones") where the reconstruction-only one draws lines at multiples of 50 Hz? PROFILE=mixed
# trains the shipped codec's recipe (multi-scale mel) instead of the gpu profile's.
# Tried here without a GPU: CORPUS_PROFILE=tiny PROFILE=tiny DEVICE=cpu STEPS=2 ADVERSARIAL=mrd
# OUT=/tmp/o bash bench/gpu_codec_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/device_env.sh
build=/tmp/sa-codec-build
timeout 240 python3 -m semanticaudio.engine.cli build-default --out "$build" \
    --profile "${CORPUS_PROFILE:-cpu}" \
    --until corpus --threads 16 > "$out/corpus.log" 2>&1 || { tail -5 "$out/corpus.log"; exit 6; }
timeout "${TRAIN_TIMEOUT_S:-420}" python3 bench/codec_latent_probe.py \
    --train-steps "${STEPS:-8000}" --profile "${PROFILE:-gpu}" --device "${DEVICE:-cuda}" \
    --corpus "$build/corpus" \
    ${ADVERSARIAL:+--adversarial "$ADVERSARIAL"} \
    --save "$out/codec" --threads 16 --out "$out/codec-scale.json" 2>&1 \
    | tr '\r' '\n' > "$out/train.log"
tail -40 "$out/train.log"
