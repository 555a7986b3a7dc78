"""Rendering: events sound where the timeline says, attributes are audible, swaps are local."""

import dataclasses

import numpy as np
import pytest
from semanticaudio.engine.corpus import (
    CLASS_NAMES,
    ClipSpec,
    EventAttributes,
    EventSpec,
    render_clip,
    sample_clip,
)
from semanticaudio.engine.corpus.dsp import active_rms, rms

SAMPLE_RATE_HZ = 16000


def _single(label, **attributes):
    event = EventSpec(label, 1.0, 1.0, EventAttributes(**attributes), seed=7)
    return render_clip(ClipSpec((event,), 3.0), SAMPLE_RATE_HZ).astype(np.float64)


@pytest.mark.parametrize("label", CLASS_NAMES)
def test_each_class_sounds_only_inside_its_span(label):
    waveform = _single(label)
    inside = waveform[SAMPLE_RATE_HZ : 2 * SAMPLE_RATE_HZ]
    outside = np.concatenate([waveform[:SAMPLE_RATE_HZ], waveform[2 * SAMPLE_RATE_HZ :]])
    assert rms(outside) == 0.0
    first_tenth = inside[: SAMPLE_RATE_HZ // 10]
    assert rms(first_tenth) > 0.05 * rms(inside)  # it starts at its onset, not later
    level_db = 20 * np.log10(active_rms(inside, SAMPLE_RATE_HZ))
    assert -28.0 < level_db < -20.0  # medium loudness is −24 dBFS ± jitter and limiting


@pytest.mark.parametrize("label", ["bell", "clap", "rain"])
def test_loudness_and_distance_are_audible(label):
    levels = {
        loudness: active_rms(_single(label, loudness=loudness), SAMPLE_RATE_HZ)
        for loudness in ("soft", "medium", "loud")
    }
    assert levels["soft"] < 0.6 * levels["medium"] < 0.6 * 0.6 * levels["loud"]
    assert active_rms(_single(label, distance="far"), SAMPLE_RATE_HZ) < 0.7 * levels["medium"]


def _spectral_centroid_hz(waveform):
    spectrum = np.abs(np.fft.rfft(waveform))
    freqs = np.fft.rfftfreq(waveform.shape[0], 1.0 / SAMPLE_RATE_HZ)
    return float(np.sum(freqs * spectrum) / np.sum(spectrum))


@pytest.mark.parametrize("label", ["whistle", "buzz", "hiss"])
def test_pitch_moves_the_spectrum(label):
    low, high = (_spectral_centroid_hz(_single(label, pitch=p)) for p in ("low", "high"))
    assert high > 1.3 * low


def test_corpus_clips_are_silent_between_events():
    for index in range(40):
        clip = sample_clip(seed=11, index=index, clip_duration_s=5.0)
        waveform = render_clip(clip.spec, SAMPLE_RATE_HZ).astype(np.float64)
        active = np.zeros(waveform.shape[0], dtype=bool)
        for event in clip.spec.events:
            start, stop = (round(t * SAMPLE_RATE_HZ) for t in (event.onset_s, event.offset_s))
            assert rms(waveform[start:stop]) > 1e-3
            active[start:stop] = True
        assert rms(waveform[~active]) == 0.0


def test_swapping_one_event_leaves_the_others_bit_identical():
    spec = sample_clip(seed=2, index=0, clip_duration_s=5.0).spec
    while len(spec.events) < 2:
        spec = sample_clip(seed=2, index=len(spec.events) + 100, clip_duration_s=5.0).spec
    first = spec.events[0]
    new_label = next(label for label in CLASS_NAMES if label not in spec.labels)
    swapped = ClipSpec(
        (dataclasses.replace(first, label=new_label), *spec.events[1:]), spec.duration_s
    )
    original, edited = render_clip(spec), render_clip(swapped)
    start, stop = round(first.onset_s * 16000), round(first.offset_s * 16000)
    outside = np.ones(original.shape[0], dtype=bool)
    outside[start:stop] = False
    assert np.array_equal(original[outside], edited[outside])
    assert not np.array_equal(original[start:stop], edited[start:stop])


def test_render_shape_and_rate_check():
    spec = ClipSpec((EventSpec("gong", 0.1, 0.5),), 1.25)
    assert render_clip(spec, 8000).shape == (10000,)
    with pytest.raises(ValueError, match="sample_rate_hz must be at least 4000, got 100"):
        render_clip(spec, 100)
