"""The event detector: shapes, save/load, detection post-processing, a short training run."""

import json

import numpy as np
import pytest
import torch
from semanticaudio.engine.corpus import (
    ClipSpec,
    EventSpec,
    generate_corpus,
    render_clip,
    sample_clip,
)
from semanticaudio.engine.evaluation.detection import (
    ClipDetection,
    DetectedEvent,
    DetectionSettings,
    active_segments,
    detect,
    detections_from_output,
    median_smooth,
)
from semanticaudio.engine.evaluation.detector import (
    DetectorConfig,
    DetectorOutput,
    load_detector,
    save_detector,
)
from semanticaudio.engine.evaluation.detector_training import (
    DetectorTrainingConfig,
    build_detector,
    frame_targets,
    load_frame_dataset,
    train_detector,
)
from semanticaudio.engine.evaluation.scoring import (
    evaluate_audio,
    frechet_audio_distance,
    score_detections,
)

TINY = DetectorConfig(
    class_names=("bell", "rain", "wind"),
    sample_rate_hz=8000,
    n_fft=256,
    hop_length=320,
    n_mels=16,
    channels=(4, 8),
    gru_hidden=8,
)


def test_shapes_and_frame_times():
    detector = build_detector(TINY, seed=0).eval()
    output = detector(torch.randn(2, 16000))  # 2 s at 8 kHz, hop 320 → 51 frames
    assert output.frame_logits.shape == (2, 51, 3)
    assert output.embedding.shape == (2, TINY.embedding_dim)
    assert TINY.frame_rate_hz == 25.0
    assert TINY.frame_times_s(3).tolist() == pytest.approx([0.0, 0.04, 0.08])
    with pytest.raises(ValueError, match=r"waveform must be \(batch, samples\), got shape \(5,\)"):
        detector(torch.randn(5))


def test_save_load_is_exact(tmp_path):
    detector = build_detector(TINY, seed=3).eval()
    folder = save_detector(detector, tmp_path / "detector")
    loaded = load_detector(folder)
    assert loaded.config == TINY
    for name, tensor in detector.state_dict().items():
        assert torch.equal(tensor, loaded.state_dict()[name]), name
    waveform = torch.randn(1, 8000)
    assert torch.equal(detector(waveform).frame_logits, loaded(waveform).frame_logits)


def test_load_errors_say_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"lacks config.json, model.safetensors"):
        load_detector(tmp_path)
    folder = save_detector(build_detector(TINY, seed=0), tmp_path / "d")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "kind": "dacvae"}))
    with pytest.raises(ValueError, match="config kind must be 'event-detector', got 'dacvae'"):
        load_detector(folder)


def test_segments_and_median_smoothing():
    active = np.array([0, 1, 1, 0, 0, 1, 0, 1, 1, 1], dtype=bool)
    assert active_segments(active) == [(1, 3), (5, 6), (7, 10)]
    probabilities = torch.tensor([0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0])[None, :, None]
    smoothed = median_smooth(probabilities, 3)[0, :, 0].tolist()
    assert smoothed == [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0]  # the lone spike is gone


def test_detections_from_logits():
    logits = torch.full((1, 50, 3), -6.0)
    logits[0, 10:30, 0] = 6.0  # bell 0.4 s … 1.2 s
    logits[0, 20:45, 2] = 6.0  # wind 0.8 s … 1.8 s
    logits[0, 40, 1] = 6.0  # a one-frame blip of rain: smoothed away
    output = DetectorOutput(logits, torch.zeros(1, TINY.embedding_dim))
    (clip,) = detections_from_output(output, TINY, DetectionSettings())
    assert clip.order == ("bell", "wind")
    bell = clip.events[0]
    assert bell.onset_s == pytest.approx(0.38, abs=1e-6)
    assert bell.offset_s == pytest.approx(1.18, abs=1e-6)
    assert clip.clip_posterior[1] < 0.5 < clip.clip_posterior[0]


def test_scores_against_captions():
    def clip(*labels):
        events = tuple(DetectedEvent(label, k, k + 0.5, 0.9) for k, label in enumerate(labels))
        posterior = np.array([float(name in labels) for name in TINY.class_names])
        return ClipDetection(events, posterior, np.zeros(2))

    captions = ["a bell rings, then wind blows", "wind blows, then a bell rings", "rain falls"]
    report = score_detections(
        [clip("bell", "wind"), clip("bell", "wind"), clip("rain", "bell")],
        captions,
        TINY.class_names,
    )
    assert [c.event_f1 for c in report.clips] == pytest.approx([1.0, 1.0, 2 / 3])
    assert [c.order_correct for c in report.clips] == [True, False, None]
    assert report.order_accuracy == 0.5
    assert report.num_ordered_clips == 2
    assert report.clips[0].similarity == pytest.approx(1.0)
    assert report.event_f1 == pytest.approx((1 + 1 + 2 / 3) / 3)


def test_frame_targets_follow_the_timeline():
    spec = ClipSpec((EventSpec("rain", 1.0, 0.5),), 2.0)
    targets = frame_targets(spec, TINY, 50)
    active = torch.nonzero(targets[:, 1]).flatten().tolist()
    assert active == list(range(25, 38))  # centres 1.00 … 1.48 s
    assert targets[:, [0, 2]].sum() == 0


def test_training_lowers_the_loss_and_detects(tmp_path):
    torch.set_num_threads(1)
    summary = generate_corpus(
        tmp_path, num_clips=12, seed=3, sample_rate_hz=8000, clip_duration_s=2.0, progress=False
    )
    config = DetectorConfig(
        sample_rate_hz=8000, n_fft=256, hop_length=320, n_mels=16, channels=(4, 8), gru_hidden=8
    )
    dataset = load_frame_dataset(summary.timelines["train"], config)
    training = DetectorTrainingConfig(steps=60, batch_size=8, learning_rate=1e-2, warmup_steps=5)
    result = train_detector(dataset, config, training, progress=False)
    assert np.mean(result.losses[-10:]) < 0.6 * np.mean(result.losses[:10])
    waveforms = torch.randn(3, 16000) * 0.01
    assert len(detect(result.detector, waveforms, 16000)) == 3  # resampled to 8 kHz
    report = evaluate_audio(result.detector, waveforms, 16000, ["a bell rings"] * 3)
    assert report.num_clips == 3
    assert report.order_accuracy is None
    distance = frechet_audio_distance(result.detector, waveforms, waveforms, 16000)
    assert distance == pytest.approx(0.0, abs=1e-6)


def test_shipped_detector_hears_fresh_heldout_clips():
    detector = load_detector()  # engine/assets/evaluator
    clips = [sample_clip(seed=123, index=i, clip_duration_s=5.0) for i in range(80)]
    clips = [clip for clip in clips if clip.split == "heldout"][:4]
    waveforms = np.stack([render_clip(clip.spec, 16000) for clip in clips])
    report = evaluate_audio(detector, waveforms, 16000, [clip.caption for clip in clips])
    assert report.num_clips == len(clips) >= 2
    assert report.event_f1 > 0.9


def test_a_clip_with_nan_or_inf_samples_is_refused_not_scored_as_silence():
    detector = build_detector(TINY, seed=0).eval()
    waveforms = torch.zeros(3, 8000)
    waveforms[1, 100] = float("nan")
    waveforms[2, 5] = float("inf")
    with pytest.raises(ValueError, match=r"clips 1, 2 hold NaN or infinite samples"):
        evaluate_audio(detector, waveforms, 8000, ["a bell rings"] * 3)
    with pytest.raises(ValueError, match=r"clips 1 hold NaN"):
        frechet_audio_distance(detector, torch.zeros(2, 8000), waveforms[:2], 8000)


def test_detection_settings_refuse_what_would_fail_later():
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        DetectionSettings(batch_size=0)
    with pytest.raises(ValueError, match=r"min_event_s must be >= 0, got -0\.1"):
        DetectionSettings(min_event_s=-0.1)
