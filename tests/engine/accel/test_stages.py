"""The bucketed loops equal the plain sampler and FlowEdit: padding frames (masked) and tokens,
batching the draws and precomputing conditions change nothing but rounding."""

import pytest
import torch
from semanticaudio.engine.accel.runtime import draw_edit_noise, edit_plan
from semanticaudio.engine.accel.stages import edit_passes, euler_loop, flowedit_loop
from semanticaudio.engine.config import FlowEditConfig
from semanticaudio.engine.flowedit import EditConditions, flow_edit
from semanticaudio.engine.sampling import StepReporter, euler_sample, guided_velocity

from tests.engine.accel.helpers import FP32_TOLERANCE, accelerator, random_text

V, T = 2, 30  # 30 frames pad into the 50-frame bucket (2 s at 25 frames/s)


def _randn(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def _plain_sample(dit, text, noise, steps, guidance, frame_cond=None):
    return euler_sample(
        lambda x, t: guided_velocity(dit, x, t, text, guidance, frame_cond),
        noise, steps, StepReporter(steps), "plan",
    )


@pytest.mark.parametrize("guidance", [4.5, 1.0])
def test_planner_loop_in_a_bucket_equals_the_plain_sampler(guidance):
    accel = accelerator()
    planner = accel.dits["planner"]
    text = random_text(planner, V, (3, 7), seed=1)
    noise = _randn(V, T, planner.in_proj.in_features, seed=2)
    fast = accel.sample("planner", text, noise, 5, guidance)
    assert fast.shape == noise.shape
    torch.testing.assert_close(fast, _plain_sample(planner, text, noise, 5, guidance),
                               **FP32_TOLERANCE)


def test_synthesizer_loop_with_a_frame_condition_equals_the_plain_sampler():
    accel = accelerator()
    synth = accel.dits["synthesizer"]
    text = random_text(synth, V, (5, 2), seed=3)
    generator = torch.Generator().manual_seed(4)
    semantic = torch.randn(V, T, synth.frame_cond_proj.in_features, generator=generator)
    noise = torch.randn(V, T, synth.in_proj.in_features, generator=generator)
    fast = accel.sample("synthesizer", text, noise, 4, 1.0, semantic)
    torch.testing.assert_close(fast, _plain_sample(synth, text, noise, 4, 1.0, semantic),
                               **FP32_TOLERANCE)


EDITS = {
    "null source, paper-like": (FlowEditConfig(8, n_max=6, n_min=2, n_avg=2), False, False),
    "source caption at guidance 1": (FlowEditConfig(8, n_max=6, n_min=2, n_avg=2), True, False),
    "guided source, region": (
        FlowEditConfig(6, n_max=5, n_min=1, n_avg=1, source_guidance=2.0), True, True),
    "n_min 0, target unguided": (
        FlowEditConfig(6, n_max=4, n_min=0, n_avg=3, target_guidance=1.0), True, False),
    "no FlowEdit phase": (FlowEditConfig(6, n_max=3, n_min=3, n_avg=2), False, False),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_flowedit_loop_in_a_bucket_equals_plain_flowedit(name):
    settings, with_source, with_region = EDITS[name]
    accel = accelerator()
    planner = accel.dits["planner"]
    conditions = EditConditions(random_text(planner, V, (4, 6), seed=5),
                                random_text(planner, V, (2, 9), seed=6) if with_source else None)
    x_src = _randn(V, T, planner.in_proj.in_features, seed=7)
    region = torch.linspace(-1, 2, T).clamp(0, 1) if with_region else None
    plain_region = None if region is None else region[None].expand(V, -1)
    plain = flow_edit(planner, x_src, conditions, settings, torch.Generator().manual_seed(8),
                      StepReporter(settings.n_max), plain_region)
    fast = accel.flow_edit("planner", x_src, conditions, settings, region,
                           torch.Generator().manual_seed(8))
    torch.testing.assert_close(fast, plain, **FP32_TOLERANCE)


def test_edit_noise_is_drawn_in_the_plain_order():
    settings = FlowEditConfig(8, n_max=6, n_min=2, n_avg=2)
    plan = edit_plan(settings, EditConditions(None), has_region=False)
    noise, target = draw_edit_noise(plan, (1, 3, 2), torch.Generator().manual_seed(0))
    generator = torch.Generator().manual_seed(0)  # the plain path: one draw at a time
    expected = torch.stack([torch.randn(1, 3, 2, generator=generator) for _ in range(9)])
    assert noise.shape == (4, 2, 1, 3, 2)
    torch.testing.assert_close(noise.reshape(8, 1, 3, 2), expected[:8])
    torch.testing.assert_close(target, expected[8])


def test_a_source_at_guidance_one_needs_one_pass_and_a_guided_one_two():
    base = FlowEditConfig(8, n_max=6, n_min=2, n_avg=2)
    source = random_text(accelerator().dits["planner"], 1, (2,), seed=0)
    counts = {}
    for scale in (1.0, 3.0):
        settings = FlowEditConfig(8, 6, 2, 2, source_guidance=scale)
        counts[scale] = len(edit_passes(edit_plan(settings, EditConditions(source, source), False)))
    null = len(edit_passes(edit_plan(base, EditConditions(source), False)))
    assert (null, counts[1.0], counts[3.0]) == (3, 3, 4)


def test_the_frame_mask_is_what_hides_the_padding():
    from dataclasses import replace

    accel = accelerator()
    planner = accel.dits["planner"]
    text = random_text(planner, V, (3, 7), seed=1)
    noise = _randn(V, T, planner.in_proj.in_features, seed=2)
    plan, inputs = accel.sample_inputs(text, noise, 3, 4.5)
    assert inputs.noise.shape[1] == 50  # padded to the bucket
    masked = euler_loop(planner, plan, inputs)[:, :T]
    unmasked = euler_loop(planner, plan, replace(inputs, frame_mask=torch.ones(V, 50).bool()))
    torch.testing.assert_close(masked, _plain_sample(planner, text, noise, 3, 4.5),
                               **FP32_TOLERANCE)
    assert not torch.allclose(masked, unmasked[:, :T], atol=1e-3)


SYNCING_OPS = {"_local_scalar_dense", "lift_fresh", "nonzero", "masked_select", "item"}


def test_the_loops_never_read_device_values_on_the_host():
    """What a CUDA graph cannot capture (host reads of device values, tensors made from host
    data) shows up as these aten ops; the loops must use none of them."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Recorder(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.names = set()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.names.add(func.overloadpacket.__name__)
            return func(*args, **(kwargs or {}))

    accel = accelerator()
    planner = accel.dits["planner"]
    text = random_text(planner, 1, (3,), seed=0)
    conditions = EditConditions(text, random_text(planner, 1, (5,), seed=1))
    noise = _randn(1, T, planner.in_proj.in_features, seed=2)
    euler = accel.sample_inputs(text, noise, 3, 4.5)
    edit = accel.edit_inputs(noise, conditions, FlowEditConfig(6, 5, 1, 2), torch.ones(T),
                             torch.Generator().manual_seed(0))
    recorder = Recorder()
    with torch.no_grad(), recorder:
        euler_loop(planner, *euler)
        flowedit_loop(planner, *edit)
    assert "addmm" in recorder.names  # the recorder saw the loops
    assert not recorder.names & SYNCING_OPS, recorder.names & SYNCING_OPS


def test_the_loops_run_on_the_meta_device_so_they_read_no_values_on_the_host():
    """Meta tensors hold no data, so every host read of a device value raises there: also
    ``.tolist()``, ``.cpu()`` and ``.numpy()``, which the recorder above cannot see on the CPU
    (they dispatch no aten op there) and which would sync or break a CUDA graph capture."""
    from semanticaudio.engine.accel.graphs import map_tensors

    meta = torch.device("meta")
    accel = accelerator()
    planner, synth = accel.dits["planner"], accel.dits["synthesizer"]
    text = random_text(planner, V, (3, 7), seed=0)
    source = random_text(planner, V, (5, 2), seed=1)
    latent = _randn(V, T, planner.in_proj.in_features, seed=2)
    semantic = _randn(V, T, synth.frame_cond_proj.in_features, seed=3)
    runs = [
        (planner, euler_loop, accel.sample_inputs(text, latent, 3, 4.5)),
        (synth, euler_loop, accel.sample_inputs(text, latent, 2, 1.0, semantic, null_text=True)),
    ]
    for settings, conditions, region in [
        (FlowEditConfig(6, 5, 1, 2, source_guidance=2.0), EditConditions(text, source),
         torch.linspace(0, 1, T)),
        (FlowEditConfig(6, 4, 0, 2, target_guidance=1.0), EditConditions(text), None),
    ]:
        inputs = accel.edit_inputs(latent, conditions, settings, region,
                                   torch.Generator().manual_seed(0))
        runs.append((planner, flowedit_loop, inputs))
    for dit, loop, (plan, inputs) in runs:
        with torch.no_grad():
            out = loop(dit.to(meta), plan, map_tensors(inputs, lambda t: t.to(meta)))
        assert out.device == meta and out.shape == (V, 50, dit.out_proj.out_features)
