import pytest
import torch
from safetensors.torch import load_file
from semanticaudio.engine.models.semantic_audio import SemanticAudioModel
from semanticaudio.engine.training.loss_log import read_log
from semanticaudio.engine.training.run import RunError, final_weights, read_run_info
from semanticaudio.engine.training.setup import fold_semantic_statistics
from semanticaudio.engine.training.state import read_state

from tests.engine.training.helpers import tiny_config, train_stage


def test_stage1_overfits_a_tiny_corpus(tone_cache, tmp_path):
    config = tiny_config(
        schedule={"total_steps": 40, "warmup_steps": 4, "decay_steps": ()},
        optimizer={"learning_rate": 3e-3},
        training={"ema_decay": 0.0, "checkpoint_every": 1000, "cfg_dropout": 0.0,
                  "tensorboard": True},
    )
    train_stage("stage1", tone_cache, tmp_path / "run", config)
    losses = [row["loss"] for row in read_log(tmp_path / "run")]
    assert len(losses) == 40
    assert list((tmp_path / "run" / "tensorboard").glob("events.out.tfevents.*"))
    first, last = sum(losses[:8]) / 8, sum(losses[-8:]) / 8
    assert last < 0.7 * first, (first, last)


def test_resuming_gives_the_same_weights_optimizer_and_rng_as_a_straight_run(
    tone_cache, tmp_path
):
    # the resumed half crosses a learning-rate decay and a periodic checkpoint, with gradient
    # accumulation, EMA and CFG dropout on
    config = tiny_config(schedule={"decay_steps": (4,)}, batch={"micro_batch_size": 2})
    straight, split = tmp_path / "straight", tmp_path / "split"
    train_stage("stage1", tone_cache, straight, config, until_step=6)
    train_stage("stage1", tone_cache, split, config, until_step=3)
    result = train_stage("stage1", tone_cache, split, config, resume=True, until_step=6)
    assert result.step == 6
    a, b = straight / "checkpoints/step_000000006", split / "checkpoints/step_000000006"
    for name in ("model", "optimizer", "ema", "rng_rank0"):
        ours, theirs = (load_file(str(folder / f"{name}.safetensors")) for folder in (a, b))
        assert ours.keys() == theirs.keys()
        for key in ours:
            assert torch.equal(ours[key], theirs[key]), (name, key)
    assert read_state(a) == read_state(b)
    assert [r["loss"] for r in read_log(straight)] == [r["loss"] for r in read_log(split)]


def test_runs_refuse_to_overwrite_or_to_resume_with_other_settings(tone_cache, tmp_path):
    run = tmp_path / "run"
    train_stage("stage1", tone_cache, run, until_step=1)
    with pytest.raises(RunError, match="pass --resume"):
        train_stage("stage1", tone_cache, run)
    changed = tiny_config(optimizer={"learning_rate": 5e-3})
    with pytest.raises(RunError, match=r"\[optimizer\] learning_rate: 0.001 → 0.005"):
        train_stage("stage1", tone_cache, run, changed, resume=True)
    longer = tiny_config(schedule={"total_steps": 14})  # a longer schedule may be resumed
    assert train_stage("stage1", tone_cache, run, longer, resume=True, until_step=2).step == 2


def test_a_base_run_resumes_whatever_the_head_settings_it_does_not_use(tone_cache, tmp_path):
    run = tmp_path / "run"
    train_stage("base", tone_cache, run, until_step=1)
    other_head = tiny_config(model={"semantic_dim": 4, "head_hidden_dim": 24})
    assert train_stage("base", tone_cache, run, other_head, resume=True, until_step=2).step == 2
    stage1 = tmp_path / "stage1"  # a two-stage run does use them
    train_stage("stage1", tone_cache, stage1, until_step=1)
    with pytest.raises(RunError, match=r"\[model\] semantic_dim"):
        train_stage("stage1", tone_cache, stage1, other_head, resume=True)


def test_stage2_needs_a_stage1_run(tone_cache, trained_runs, tmp_path):
    with pytest.raises(RunError, match="--head-from"):
        train_stage("stage2", tone_cache, tmp_path / "a")
    with pytest.raises(RunError, match="is a base run"):
        train_stage("stage2", tone_cache, tmp_path / "b", head_from=trained_runs["base"])


def test_stage2_freezes_the_head_and_standardises_its_targets(tone_cache, trained_runs):
    from semanticaudio.engine.features.reader import FeatureCache, collate_clips

    stage1 = SemanticAudioModel(read_run_info(trained_runs["stage1"]).model)
    stage1.load_state_dict(final_weights(trained_runs["stage1"])[0])
    stage2 = SemanticAudioModel(read_run_info(trained_runs["stage2"]).model)
    stage2.load_state_dict(final_weights(trained_runs["stage2"], use_ema=False)[0])
    for name, tensor in stage1.head.state_dict().items():
        assert torch.equal(stage2.head.state_dict()[name], tensor)
    assert not torch.equal(stage1.planner.out_proj.weight, stage2.planner.out_proj.weight)
    cache = FeatureCache(tone_cache)
    batch = collate_clips([cache[i] for i in range(len(cache))])
    with torch.no_grad():
        targets = stage2.semantic_latent(batch.semantic_frames)[batch.frame_mask]
    torch.testing.assert_close(targets.mean(0), torch.zeros(8), atol=1e-4, rtol=0)
    torch.testing.assert_close(targets.std(0), torch.ones(8), atol=1e-4, rtol=0)


def test_folding_the_statistics_keeps_the_synthesizer_output(tone_cache):
    from semanticaudio.engine.tiny import build_tiny_checkpoint

    model = build_tiny_checkpoint().model
    torch.manual_seed(0)
    frames, x = torch.randn(2, 5, 32) * 3 + 1, torch.randn(2, 5, 8)
    text = build_tiny_checkpoint().components.encode_text(["a", "b c"])
    t = torch.tensor([0.3, 0.8])
    with torch.no_grad():
        before = model.synthesizer(x, t, text, frame_cond=model.semantic_latent(frames))
        latent = model.head(frames)
        fold_semantic_statistics(model, latent.mean((0, 1)), latent.std((0, 1)))
        after = model.synthesizer(x, t, text, frame_cond=model.semantic_latent(frames))
    assert not torch.allclose(model.semantic_norm.std, torch.ones(8))
    torch.testing.assert_close(after, before, atol=1e-5, rtol=1e-4)


def test_padding_frames_do_not_touch_the_loss(tone_cache):
    from dataclasses import replace

    from semanticaudio.engine.features.reader import FeatureCache, collate_clips
    from semanticaudio.engine.tiny import build_tiny_checkpoint
    from semanticaudio.engine.training.objectives import StageObjective

    cache = FeatureCache(tone_cache)
    batch = collate_clips([cache[i] for i in (0, 2)])  # the second clip is 15 of 25 frames
    padding = ~batch.frame_mask[..., None]
    scrambled = replace(batch, acoustic=torch.where(padding, 50.0, batch.acoustic),
                        semantic_frames=torch.where(padding, -7.0, batch.semantic_frames))
    model = build_tiny_checkpoint().model
    losses = []
    for data in (batch, scrambled):
        objective = StageObjective(model, "stage1", 0.1, torch.Generator().manual_seed(0))
        losses.append(objective(data))
    torch.testing.assert_close(losses[0], losses[1], rtol=1e-5, atol=1e-6)


def test_stage2_refuses_a_cache_of_other_weights_behind_the_same_component_paths(tmp_path):
    from semanticaudio.engine.tiny import write_tiny_checkpoint

    from tests.engine.training.helpers import build_cache, write_tone_corpus

    components = write_tiny_checkpoint(tmp_path / "components", seed=0)
    manifest = write_tone_corpus(tmp_path / "corpus", count=4)
    build_cache(manifest, components, tmp_path / "cache1")
    train_stage("stage1", tmp_path / "cache1", tmp_path / "stage1", until_step=1)
    write_tiny_checkpoint(components, seed=1)  # the encoders retrained in place
    build_cache(manifest, components, tmp_path / "cache2")
    with pytest.raises(RunError, match="other weights at the same paths"):
        train_stage("stage2", tmp_path / "cache2", tmp_path / "stage2",
                    head_from=tmp_path / "stage1")


def test_gradient_accumulation_weighs_every_real_frame_alike(tone_cache, tmp_path):
    """Micro-batches with fewer real frames must not count more: the accumulated loss is the
    mean over every real frame of the step, as one pass over the whole batch computes it."""
    from semanticaudio.engine.features.reader import FeatureCache, collate_clips
    from semanticaudio.engine.training.distributed import init_distributed
    from semanticaudio.engine.training.objectives import StageObjective
    from semanticaudio.engine.training.trainer import Trainer, TrainRequest

    config = tiny_config(batch={"micro_batch_size": 2})
    request = TrainRequest("stage1", config, tone_cache, tmp_path / "run", device="cpu",
                           progress=False)
    trainer = Trainer.start(request, init_distributed("cpu"))
    cache = FeatureCache(tone_cache)
    batch = collate_clips([cache[i] for i in (0, 1, 2, 5)])  # 25 + 25 | 15 + 15 real frames
    replay = torch.Generator()
    replay.set_state(trainer.generator.get_state())
    objective = StageObjective(trainer.model, "stage1", config.training.cfg_dropout, replay)
    with torch.no_grad():
        parts = [(objective(part), part.frame_mask.sum()) for part in batch.split(2)]
    expected = sum(loss * frames for loss, frames in parts) / batch.frame_mask.sum()
    loss, _ = trainer._train_step(batch)
    torch.testing.assert_close(loss, expected, rtol=1e-6, atol=0)
