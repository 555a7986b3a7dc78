"""FlowEdit against the closed-form point-mass field (REFERENCE.md's correctness check)."""

import pytest
import torch
from semanticaudio.engine.config import FlowEditConfig
from semanticaudio.engine.flowedit import EditConditions, flow_edit
from semanticaudio.engine.sampling import StepReporter, draw_noise

from tests.engine.closed_form import PointMassField, text_for

C, T = 4, 9
MU_A = torch.tensor([[1.0, 0.0, -1.0, 2.0]])
MU_B = torch.tensor([[-1.0, 3.0, 0.5, 0.0]])
NULL = torch.tensor([0.2, 0.2, -0.2, 0.0])


def _edit(settings, source=MU_A, region=None, field=None):
    field = field or PointMassField(NULL)
    x_src = source[:, None].expand(-1, T, -1).clone()
    conditions = EditConditions(target=text_for(MU_B), source=text_for(MU_A))
    return flow_edit(
        field,
        x_src,
        conditions,
        settings,
        torch.Generator().manual_seed(0),
        StepReporter(settings.n_max),
        region,
    )


def test_unguided_edit_without_tail_reaches_the_target_exactly():
    out = _edit(
        FlowEditConfig(
            num_steps=50, n_max=33, n_min=0, n_avg=1, source_guidance=1.0, target_guidance=1.0
        )
    )
    torch.testing.assert_close(out, MU_B[:, None].expand(-1, T, -1), atol=1e-4, rtol=0)


class RecordingField(PointMassField):
    """Records the z_edit implied by each FlowEdit batch: z_tar − z_src + x_src."""

    def __init__(self, null_mean, x_src):
        super().__init__(null_mean)
        self.x_src = x_src
        self.edits = []
        self.noises = []

    def forward(self, x, t, text, frame_cond=None, frame_mask=None, drop_text=None):
        # one FlowEdit draw, source caption at guidance 1: z_tar (conditional and null), then
        # z_src (conditional only: at guidance 1 the null pass would change nothing)
        if x.shape[0] == 3:
            self.edits.append((t[0].item(), (x[0] - x[2] + self.x_src[0]).clone()))
            self.noises.append((x[2] - (1 - t[0]) * self.x_src[0]) / t[0])  # z_src's ε
        return super().forward(x, t, text, frame_cond, frame_mask, drop_text)


def test_edit_moves_by_the_predicted_amount_at_every_step():
    # With this field the noise cancels: dz/dt = (z − μ_w)/t, μ_w = null + w(μ_b − null), so
    # z − μ_w shrinks by t_next/t per Euler step: at time t, z = μ_w + (μ_a − μ_w)·t/t_s.
    w = 2.0
    settings = FlowEditConfig(
        num_steps=50, n_max=40, n_min=10, n_avg=3, source_guidance=1.0, target_guidance=w
    )
    x_src = MU_A[:, None].expand(-1, T, -1).clone()
    field = RecordingField(NULL, x_src)
    conditions = EditConditions(target=text_for(MU_B), source=text_for(MU_A))
    out = flow_edit(
        field, x_src, conditions, settings, torch.Generator().manual_seed(1), StepReporter(40)
    )
    mu_w = NULL + w * (MU_B - NULL)
    t_start = field.edits[0][0]
    assert t_start == pytest.approx(0.8)
    assert len(field.edits) == 30 * 3  # 30 FlowEdit steps, 3 draws each
    noises = torch.stack(field.noises).flatten(1)  # a fresh ε every draw and every step
    distances = torch.cdist(noises, noises).fill_diagonal_(float("inf"))
    assert distances.min() > 1.0
    for t, z_edit in field.edits:
        expected = mu_w + (MU_A - mu_w) * t / t_start
        torch.testing.assert_close(z_edit, expected.expand(T, -1), atol=1e-4, rtol=0)
    # the n_min > 0 tail (which crashes in the official SD3 code) then samples the target
    torch.testing.assert_close(out, mu_w[:, None].expand(-1, T, -1), atol=1e-4, rtol=0)


class TailRecordingField(PointMassField):
    """Records the input of each plain target step (a guided pair: x_tar twice)."""

    def __init__(self, null_mean):
        super().__init__(null_mean)
        self.tail_inputs = []

    def forward(self, x, t, text, frame_cond=None, frame_mask=None, drop_text=None):
        if x.shape[0] == 2:
            self.tail_inputs.append((t[0].item(), x[0].clone()))
        return super().forward(x, t, text, frame_cond, frame_mask, drop_text)


def test_the_target_phase_starts_from_the_edit_renoised_with_a_fresh_draw():
    # REFERENCE.md: x_tar = z_edit + (t·ε + (1 − t)·x_src) − x_src at the first of the last n_min
    # steps, ε drawn after the FlowEdit phase's n_avg draws per step. The field lands on μ_w
    # from anywhere, so only the recorded start can tell a wrong one.
    w, n_avg = 2.0, 3
    settings = FlowEditConfig(num_steps=50, n_max=40, n_min=10, n_avg=n_avg,
                              source_guidance=1.0, target_guidance=w)
    x_src = MU_A[:, None].expand(-1, T, -1).clone()
    field = TailRecordingField(NULL)
    conditions = EditConditions(target=text_for(MU_B), source=text_for(MU_A))
    flow_edit(field, x_src, conditions, settings, torch.Generator().manual_seed(1),
              StepReporter(40))
    replay = torch.Generator().manual_seed(1)
    for _ in range(30 * n_avg):  # the FlowEdit phase's draws
        draw_noise(tuple(x_src.shape), replay, x_src.device, x_src.dtype)
    noise = draw_noise(tuple(x_src.shape), replay, x_src.device, x_src.dtype)
    mu_w = NULL + w * (MU_B - NULL)
    t, x_tar = field.tail_inputs[0]
    assert len(field.tail_inputs) == 10 and t == pytest.approx(0.2)
    z_edit = mu_w + (MU_A - mu_w) * t / 0.8  # where the FlowEdit phase ends (test above)
    expected = z_edit[:, None] + t * noise + (1 - t) * x_src - x_src
    torch.testing.assert_close(x_tar, expected[0], atol=1e-4, rtol=0)


def test_guided_null_source_edit_lands_on_the_predicted_fixed_point():
    # v_tar = (x − μ_w)/t with μ_w = null + w(μ_b − null); v_src(null) = (x − null)/t, so the
    # edit converges to z* = μ_a + μ_w − null = μ_a + w(μ_b − null).
    w = 3.0
    field = PointMassField(NULL)
    x_src = MU_A[:, None].expand(-1, T, -1).clone()
    settings = FlowEditConfig(num_steps=20, n_max=15, n_min=0, n_avg=1, target_guidance=w)
    out = flow_edit(
        field,
        x_src,
        EditConditions(target=text_for(MU_B), source=None),
        settings,
        torch.Generator().manual_seed(0),
        StepReporter(15),
    )
    expected = MU_A + w * (MU_B - NULL)
    torch.testing.assert_close(out, expected[:, None].expand(-1, T, -1), atol=1e-4, rtol=0)


def test_region_mask_leaves_frames_outside_untouched():
    region = torch.zeros(1, T)
    region[:, 3:6] = 1.0
    out = _edit(FlowEditConfig(num_steps=20, n_max=15, n_min=5, n_avg=2), region=region)
    assert torch.equal(out[:, :3], MU_A[:, None].expand(-1, 3, -1))
    assert torch.equal(out[:, 6:], MU_A[:, None].expand(-1, T - 6, -1))
    mu_w = NULL + 5.0 * (MU_B - NULL)  # the default target guidance is 5
    torch.testing.assert_close(out[:, 3:6], mu_w[:, None].expand(-1, 3, -1), atol=1e-4, rtol=0)


@pytest.mark.parametrize("bad", [{"n_max": 60}, {"n_min": 40, "n_max": 30}, {"n_avg": 0}])
def test_inconsistent_settings_are_rejected(bad):
    with pytest.raises(ValueError, match=r"n_min|n_avg"):
        FlowEditConfig(**{"num_steps": 50, **bad})
