import pytest
import torch
from semanticaudio.engine.components.base import TextEmbedding
from semanticaudio.engine.config import BACKBONE_SIZES, BackboneSize, ModelConfig
from semanticaudio.engine.flow import flow_matching_loss, interpolate, sample_timesteps
from semanticaudio.engine.models.dit import DiT
from semanticaudio.engine.models.semantic_audio import SemanticAudioModel

B, T, G, E = 3, 12, 6, 5


def _text(lengths=(3, 5, 1)) -> TextEmbedding:
    L = max(lengths)
    mask = torch.arange(L)[None] < torch.tensor(lengths)[:, None]
    return TextEmbedding(torch.randn(B, G), torch.randn(B, L, E), mask)


def _dit(frame_cond_dim=0) -> DiT:
    torch.manual_seed(0)
    dit = DiT(4, 4, BACKBONE_SIZES["tiny"], G, E, frame_cond_dim)
    for p in dit.parameters():  # leave adaLN-zero so outputs depend on every input
        torch.nn.init.normal_(p, std=0.1)
    return dit


def test_forward_shapes_backward_and_finiteness():
    dit = _dit(frame_cond_dim=2)
    x = torch.randn(B, T, 4, requires_grad=True)
    v = dit(x, torch.rand(B), _text(), frame_cond=torch.randn(B, T, 2))
    assert v.shape == (B, T, 4)
    assert torch.isfinite(v).all()
    v.square().mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in dit.parameters()
               if p.requires_grad and p is not dit.null_global and p is not dit.null_token)


def test_untrained_dit_predicts_zero_velocity():
    dit = DiT(4, 4, BACKBONE_SIZES["tiny"], G, E)
    assert torch.count_nonzero(dit(torch.randn(B, T, 4), torch.rand(B), _text())) == 0


def test_padding_tokens_do_not_change_the_output():
    dit = _dit()
    text = _text(lengths=(2, 2, 2))
    x, t = torch.randn(B, T, 4), torch.rand(B)
    longer = TextEmbedding(
        text.global_vector,
        torch.cat([text.tokens, torch.randn(B, 4, E)], dim=1),
        torch.cat([text.token_mask, torch.zeros(B, 4, dtype=torch.bool)], dim=1),
    )
    torch.testing.assert_close(dit(x, t, text), dit(x, t, longer))


def test_padded_frames_do_not_change_real_frames():
    dit = _dit()
    x, t, text = torch.randn(B, T, 4), torch.rand(B), _text()
    mask = torch.ones(B, T + 5, dtype=torch.bool)
    mask[:, T:] = False
    padded = torch.cat([x, torch.randn(B, 5, 4)], dim=1)
    torch.testing.assert_close(dit(x, t, text), dit(padded, t, text, frame_mask=mask)[:, :T])


def test_dropped_text_uses_the_learned_null_condition_whatever_the_prompt():
    dit = _dit()
    x, t = torch.randn(B, T, 4), torch.rand(B)
    drop = torch.ones(B, dtype=torch.bool)
    a, b = dit(x, t, _text(), drop_text=drop), dit(x, t, _text(), drop_text=drop)
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, dit(x, t, _text()))


def test_rope_makes_the_model_position_aware():
    dit = _dit()
    x, t, text = torch.randn(1, T, 4).expand(B, -1, -1), torch.rand(1).expand(B), _text()
    flipped = dit(x.flip(1), t, text).flip(1)
    assert not torch.allclose(dit(x, t, text), flipped, atol=1e-4)


def test_flow_loss_masks_padding_and_trains():
    dit = _dit()
    data, text = torch.randn(B, T, 4), _text()
    mask = torch.ones(B, T, dtype=torch.bool)
    mask[0, 6:] = False
    # whatever the padded frames hold, the loss is the same: they are out of the mean and of
    # the attention
    other = data.clone()
    other[0, 6:] = 100.0
    losses = [flow_matching_loss(dit, d, text, frame_mask=mask,
                                 generator=torch.Generator().manual_seed(5)) for d in (data, other)]
    torch.testing.assert_close(losses[0], losses[1])
    optimizer = torch.optim.Adam(dit.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(30):
        loss = flow_matching_loss(dit, data, text, frame_mask=mask, generator=generator)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-5:]) < 0.8 * sum(losses[:5])


def test_logit_normal_timesteps_and_interpolation_convention():
    t = sample_timesteps(20000, torch.device("cpu"), torch.Generator().manual_seed(0))
    assert t.min() > 0 and t.max() < 1
    assert abs(torch.logit(t).mean().item()) < 0.03 and abs(torch.logit(t).std().item() - 1) < 0.03
    data, noise = torch.zeros(2, 3, 1), torch.ones(2, 3, 1)
    assert torch.equal(interpolate(data, noise, torch.tensor([0.0, 1.0]))[:, 0, 0],
                       torch.tensor([0.0, 1.0]))  # t = 1 is noise


@pytest.mark.parametrize(("d", "head"), [(32, "mlp"), (64, "mlp"), (128, "mlp"),
                                         (1024, "linear"), (1024, "none")])
def test_every_paper_variant_builds_and_shares_the_backbone_class(d, head):
    config = ModelConfig(backbone=BACKBONE_SIZES["tiny"], semantic_dim=d, head=head)
    with torch.device("meta"):
        model = SemanticAudioModel(config)
    assert type(model.planner) is type(model.synthesizer) is DiT
    frames = torch.randn(1, 5, 1024, device="meta")
    assert model.head(frames).shape == (1, 5, d)


def test_the_paper_size_is_within_15_percent_of_610m_parameters():
    with torch.device("meta"):
        model = SemanticAudioModel(ModelConfig())
    planner = model.stage_parameter_counts()["planner"]
    assert abs(planner - 610e6) / 610e6 < 0.15


def test_bad_sizes_are_rejected_with_the_reason():
    with pytest.raises(ValueError, match="even size"):
        BackboneSize(depth=1, width=60, num_heads=4)
    with pytest.raises(ValueError, match="raw PE"):
        ModelConfig(head="none", semantic_dim=128)
