"""Bucket choice and padding helpers."""

import pytest
import torch
from semanticaudio.engine.accel.buckets import (
    bucket_frames,
    choose_bucket,
    frame_mask,
    pad_frames,
    pad_tokens,
)
from semanticaudio.engine.components.base import TextEmbedding


def test_buckets_are_frames_and_the_smallest_that_holds_the_request_wins():
    buckets = bucket_frames((5.0, 10.0, 30.0), 25.0)
    assert buckets == (125, 250, 750)
    assert [choose_bucket(n, buckets) for n in (1, 125, 126, 250, 750, 751)] == [
        125, 125, 250, 250, 750, None]
    with pytest.raises(ValueError, match="at least 1"):
        choose_bucket(0, buckets)


def test_padding_adds_zeros_and_a_mask_of_the_real_frames():
    x = torch.ones(2, 3, 4)
    padded = pad_frames(x, 5)
    assert padded.shape == (2, 5, 4) and padded[:, 3:].abs().sum() == 0
    assert pad_frames(torch.ones(3, 2, 1, 3, 4), 5, dim=3).shape == (3, 2, 1, 5, 4)
    assert frame_mask(2, 3, 5).tolist() == [[True] * 3 + [False] * 2] * 2
    with pytest.raises(ValueError, match="cannot pad 6 frames into a bucket of 5"):
        pad_frames(torch.ones(1, 6, 2), 5)


def test_token_padding_is_masked_and_too_many_tokens_are_refused():
    text = TextEmbedding(torch.ones(1, 3), torch.ones(1, 2, 4), torch.ones(1, 2).bool())
    padded = pad_tokens(text, 6)
    assert padded.tokens.shape == (1, 6, 4)
    assert padded.token_mask.tolist() == [[True, True, False, False, False, False]]
    with pytest.raises(ValueError, match="2 tokens do not fit a token capacity of 1"):
        pad_tokens(text, 1)
