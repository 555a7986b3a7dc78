import pytest
import torch
from semanticaudio.engine.corpus import ClipSpec, EventSpec
from semanticaudio.engine.recipes.clips import ClipBank, frame_activity


def _bank(num_sounding: int, num_silent: int) -> ClipBank:
    sounding = torch.full((num_sounding, 1000), 3000, dtype=torch.int16)
    silent = torch.zeros((num_silent, 1000), dtype=torch.int16)
    spec = ClipSpec((), 1.0)
    count = num_sounding + num_silent
    return ClipBank(torch.cat([sounding, silent]), 1000, ("",) * count, (spec,) * count)


def test_sounding_crops_come_first_and_silence_only_fills_the_batch():
    generator = torch.Generator().manual_seed(0)
    crops = _bank(4, 12).sounding_crops(4, 100, generator)
    assert crops.shape == (4, 100)
    assert (crops.abs().amax(dim=1) > 0).sum() >= 2  # far more than the 1 in 4 of plain crops
    only_silence = _bank(0, 4).sounding_crops(3, 100, generator)
    assert only_silence.shape == (3, 100) and only_silence.abs().max() == 0


def test_crops_longer_than_the_clips_are_refused():
    with pytest.raises(ValueError, match=r"crop length must be in 1\.\.1000"):
        _bank(1, 0).random_crops(1, 1001, torch.Generator())


def test_frame_activity_marks_the_frames_an_event_overlaps():
    spec = ClipSpec((EventSpec("bell", 0.05, 0.1),), 0.4)
    active = frame_activity(spec, 10, 25.0)  # frames of 40 ms
    assert [bool(frame) for frame in active] == [False, True, True, True] + [False] * 6
