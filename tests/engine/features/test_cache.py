import json

import pytest
import torch
from safetensors.torch import load_file
from semanticaudio.engine.checkpoint import load_checkpoint
from semanticaudio.engine.features.index import CacheError, read_index
from semanticaudio.engine.features.reader import FeatureCache, collate_clips

from tests.engine.training.helpers import build_cache, write_tone_corpus

BROKEN = [{"audio": "missing.wav", "caption": "nothing here"}]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """7 readable tones and one missing file: 8 entries, two shards of 4."""
    return write_tone_corpus(tmp_path_factory.mktemp("corpus"), count=7, extra_lines=BROKEN)


@pytest.fixture(scope="module")
def straight_cache(corpus, tiny_checkpoint_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("straight") / "cache"
    summary = build_cache(corpus, tiny_checkpoint_dir, out)
    assert (summary.num_clips, summary.num_skipped, summary.shards_written) == (7, 1, 2)
    return out


def shard_tensors(folder):
    return {p.name: load_file(str(p)) for p in sorted(folder.glob("shard_*.safetensors"))}


def test_cache_holds_what_the_frozen_encoders_compute(straight_cache, tiny_checkpoint_dir, corpus):
    cache = FeatureCache(straight_cache)
    assert len(cache) == 7
    header = cache.header
    assert header.num_frames == 25 and header.sample_rate_hz == 16_000
    assert read_index(straight_cache).skipped[0]["audio"] == "missing.wav"
    components = load_checkpoint(tiny_checkpoint_dir).components
    clip = cache[2]  # a 0.6 s tone: 15 real frames of 25
    assert clip.frame_mask.sum() == 15 and clip.caption == "a steady tone at 440 hz"
    import soundfile

    audio, _ = soundfile.read(corpus.parent / "tone_2.wav", dtype="float32")
    wave = torch.zeros(1, 16_000)
    wave[0, : len(audio)] = torch.from_numpy(audio)
    with torch.no_grad():
        expected_latent = components.codec.encode(wave)[0]
        expected_frames = components.semantic_encoder.encode(wave)[0]
        tokens, mask = components.text_tokens.encode([clip.caption])
        global_vector = components.text_global.encode([clip.caption])[0]
    torch.testing.assert_close(clip.acoustic, expected_latent)
    torch.testing.assert_close(clip.semantic_frames, expected_frames)
    torch.testing.assert_close(clip.text_tokens, tokens[0][mask[0]])
    torch.testing.assert_close(clip.text_global, global_vector)


def test_batches_pad_tokens_and_keep_masks(straight_cache):
    cache = FeatureCache(straight_cache)
    batch = collate_clips([cache[i] for i in range(4)])
    assert batch.acoustic.shape == (4, 25, 8) and batch.semantic_frames.shape == (4, 25, 32)
    assert batch.text.tokens.shape[:2] == batch.text.token_mask.shape
    assert batch.frame_mask.sum(dim=1).tolist() == [25, 25, 15, 25]
    halves = batch.split(2)
    assert [h.batch_size for h in halves] == [2, 2] and halves[1].captions == batch.captions[2:]


def test_an_interrupted_cache_resumes_and_matches_a_straight_run(
    corpus, tiny_checkpoint_dir, straight_cache, tmp_path
):
    out = tmp_path / "cache"
    first = build_cache(corpus, tiny_checkpoint_dir, out, max_new_shards=1)
    assert (first.shards_written, first.complete) == (1, False)
    with pytest.raises(CacheError, match="incomplete"):
        FeatureCache(out)
    finished_at = (out / "shard_00000.safetensors").stat().st_mtime_ns
    second = build_cache(corpus, tiny_checkpoint_dir, out)
    assert (second.shards_reused, second.shards_written, second.complete) == (1, 1, True)
    assert (out / "shard_00000.safetensors").stat().st_mtime_ns == finished_at  # not redone
    resumed, straight = shard_tensors(out), shard_tensors(straight_cache)
    assert resumed.keys() == straight.keys()
    for name, tensors in straight.items():
        for key, value in tensors.items():
            assert torch.equal(resumed[name][key], value), (name, key)
    assert json.loads((out / "index.json").read_text())["num_skipped"] == 1


def test_a_crash_inside_a_shard_leaves_no_partial_file(corpus, tiny_checkpoint_dir, tmp_path,
                                                       monkeypatch):
    from semanticaudio.engine.features import writer

    calls = {"n": 0}
    original = writer._encode_batch

    def failing(*args):
        calls["n"] += 1
        if calls["n"] == 2:  # the first batch of the second shard
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(writer, "_encode_batch", failing)
    out = tmp_path / "cache"
    with pytest.raises(KeyboardInterrupt):
        build_cache(corpus, tiny_checkpoint_dir, out)
    assert sorted(p.name for p in out.iterdir()) == ["index.json", "shard_00000.safetensors"]
    monkeypatch.setattr(writer, "_encode_batch", original)
    summary = build_cache(corpus, tiny_checkpoint_dir, out)
    assert (summary.shards_reused, summary.shards_written, summary.num_clips) == (1, 1, 7)


def test_a_cache_folder_refuses_other_settings(corpus, tiny_checkpoint_dir, tmp_path):
    out = tmp_path / "cache"
    build_cache(corpus, tiny_checkpoint_dir, out, max_new_shards=1)
    with pytest.raises(CacheError, match="clip_seconds"):
        build_cache(corpus, tiny_checkpoint_dir, out, clip_seconds=2.0)


def test_half_precision_features_halve_the_frames(corpus, tiny_checkpoint_dir, straight_cache,
                                                  tmp_path):
    out = tmp_path / "cache"
    build_cache(corpus, tiny_checkpoint_dir, out, feature_dtype="bfloat16", max_new_shards=1)
    half = load_file(str(out / "shard_00000.safetensors"))
    full = load_file(str(straight_cache / "shard_00000.safetensors"))
    assert half["semantic_frames"].dtype == torch.bfloat16
    assert half["acoustic"].dtype == torch.float32  # flow targets stay exact
    torch.testing.assert_close(half["semantic_frames"].float(), full["semantic_frames"],
                               rtol=1e-2, atol=1e-2)


def test_new_component_weights_behind_the_same_path_are_another_cache(corpus, tmp_path):
    from semanticaudio.engine.tiny import write_tiny_checkpoint

    components, out = tmp_path / "components", tmp_path / "cache"
    write_tiny_checkpoint(components, seed=0)
    build_cache(corpus, components, out, max_new_shards=1)
    write_tiny_checkpoint(components, seed=1)  # retrained weights saved over the old ones
    with pytest.raises(CacheError, match="component_digests"):
        build_cache(corpus, components, out)  # would mix shards of two codecs


def test_a_changed_audio_file_is_encoded_again(tiny_checkpoint_dir, tmp_path):
    import os

    import soundfile

    from tests.engine.training.helpers import SAMPLE_RATE_HZ, tone

    corpus = write_tone_corpus(tmp_path / "corpus", count=8)
    out = tmp_path / "cache"
    build_cache(corpus, tiny_checkpoint_dir, out)
    changed = corpus.parent / "tone_5.wav"  # in the second shard
    soundfile.write(changed, tone(1_000.0, 1.0), SAMPLE_RATE_HZ)
    os.utime(changed, ns=(1, 1))  # a new file, whatever the file system's clock resolution
    summary = build_cache(corpus, tiny_checkpoint_dir, out)
    assert (summary.shards_reused, summary.shards_written) == (1, 1)
    fresh = tmp_path / "fresh"
    build_cache(corpus, tiny_checkpoint_dir, fresh)
    for name, tensors in shard_tensors(fresh).items():
        for key, value in tensors.items():
            assert torch.equal(shard_tensors(out)[name][key], value), (name, key)


def test_a_missing_or_foreign_shard_is_named_when_the_cache_opens(straight_cache, tmp_path):
    import shutil

    out = tmp_path / "cache"
    shutil.copytree(straight_cache, out)
    second = out / "shard_00001.safetensors"
    second.unlink()
    with pytest.raises(CacheError, match=r"shard_00001.safetensors, listed in .* cannot be read"):
        FeatureCache(out)
    shutil.copy(out / "shard_00000.safetensors", second)  # 4 clips where the index says 3
    with pytest.raises(CacheError, match=r"shard_00001.safetensors does not belong"):
        FeatureCache(out)


def test_a_cache_from_before_component_digests_is_not_sent_round_in_circles(corpus, tmp_path,
                                                                              tiny_checkpoint_dir):
    """"Repeat the original command to resume" is what the user just did: a cache made before
    caches kept digests cannot be resumed, and the error must say so."""
    out = tmp_path / "cache"
    build_cache(corpus, tiny_checkpoint_dir, out, max_new_shards=1)
    document = json.loads((out / "index.json").read_text())
    document["header"]["component_digests"] = {}  # as an index written before digests
    (out / "index.json").write_text(json.dumps(document))
    with pytest.raises(CacheError) as caught:
        build_cache(corpus, tiny_checkpoint_dir, out)
    message = str(caught.value)
    assert "repeat the original command" not in message
    assert "before" in message and "new --out folder" in message
