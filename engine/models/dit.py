"""The DiT backbone shared by the Semantic Planner, the Acoustic Synthesizer and the Base model.

``DiT(x_t, t, text, frame_cond) → velocity``: it knows nothing about flow matching. Conditioning
(paper, appendix A.1): adaLN from the timestep plus the global text vector, cross-attention to the
token sequence, rotary positions over frames. A frame-aligned input (the synthesizer's semantic
plan) is projected and added to the input frames.

adaLN is "single" (PixArt-α): one MLP turns the conditioning vector into six modulation vectors
shared by all blocks, and each block adds its own learned table. With full per-block adaLN and
cross-attention, 28 × 1152 would be about 820M parameters; the paper reports 610M, which this
layout matches (see ``sa info``).

The null text condition for classifier-free guidance is learned: a null global vector and a single
null token (mask [True]) replace a sample's text where ``drop_text`` is True.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from semanticaudio.engine.components.base import TextEmbedding
from semanticaudio.engine.config import BackboneSize
from semanticaudio.engine.nn.attention import CrossAttention, SelfAttention
from semanticaudio.engine.nn.embeddings import TimestepEmbedding, modulate
from semanticaudio.engine.nn.rope import RotaryEmbedding
from torch import nn


@dataclass(frozen=True)
class TextState:
    """A batch's text conditions, projected once per request (they are the same at every step).

    global_features: (B, W), the projected global vector; context: per block, the cross-attention
    keys and values, each (B, heads, L, head_dim); token_mask: (B, L) bool, True = real token.
    """

    global_features: torch.Tensor
    context: tuple[tuple[torch.Tensor, torch.Tensor], ...]
    token_mask: torch.Tensor


@dataclass(frozen=True)
class StepModulation:
    """adaLN inputs of one step: blocks (B, 6, W), shared by every block; final (B, 2W)."""

    blocks: torch.Tensor
    final: torch.Tensor


class DiTBlock(nn.Module):
    """Self-attention, cross-attention and MLP, each a residual branch."""

    def __init__(self, width: int, num_heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.attn = SelfAttention(width, num_heads)
        self.norm_cross = nn.LayerNorm(width, eps=1e-6)
        self.cross = CrossAttention(width, num_heads)
        self.norm2 = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        hidden = int(width * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Linear(width, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, width)
        )
        self.modulation_table = nn.Parameter(torch.randn(6, width) / width**0.5)

    def forward(
        self,
        x: torch.Tensor,
        modulation: torch.Tensor,
        rotary: tuple[torch.Tensor, torch.Tensor],
        frame_mask: torch.Tensor | None,
        context: tuple[torch.Tensor, torch.Tensor],
        context_mask: torch.Tensor,
    ) -> torch.Tensor:
        """x: (B, T, W); modulation: (B, 6, W) shared by all blocks; context: this block's
        cross-attention keys and values (``CrossAttention.project_context``). → (B, T, W)."""
        mod = (modulation + self.modulation_table[None]).unbind(dim=1)  # 6 × (B, W)
        shift1, scale1, gate1, shift2, scale2, gate2 = mod
        x = x + gate1[:, None] * self.attn(
            modulate(self.norm1(x), shift1, scale1), rotary, frame_mask
        )
        x = x + self.cross(self.norm_cross(x), context, context_mask)
        return x + gate2[:, None] * self.mlp(modulate(self.norm2(x), shift2, scale2))


class DiT(nn.Module):
    """Velocity network: (B, T, in_dim) frames at flow time t → (B, T, out_dim)."""

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        size: BackboneSize,
        global_dim: int,
        token_dim: int,
        frame_cond_dim: int = 0,
    ) -> None:
        super().__init__()
        width = size.width
        self.in_proj = nn.Linear(in_dim, width)
        self.frame_cond_proj = nn.Linear(frame_cond_dim, width) if frame_cond_dim else None
        self.time_embed = TimestepEmbedding(width)
        self.global_proj = nn.Linear(global_dim, width)
        self.token_proj = nn.Linear(token_dim, width)
        self.null_global = nn.Parameter(torch.zeros(global_dim))
        self.null_token = nn.Parameter(torch.randn(token_dim) * 0.02)
        self.adaln = nn.Sequential(nn.SiLU(), nn.Linear(width, 6 * width))
        self.rotary = RotaryEmbedding(width // size.num_heads)
        self.blocks = nn.ModuleList(
            DiTBlock(width, size.num_heads, size.mlp_ratio) for _ in range(size.depth)
        )
        self.final_norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.final_adaln = nn.Sequential(nn.SiLU(), nn.Linear(width, 2 * width))
        self.out_proj = nn.Linear(width, out_dim)
        self._zero_init()

    def _zero_init(self) -> None:
        # adaLN-zero: every modulation and the output start at zero, so the untrained network
        # predicts zero velocity and each block starts close to the identity.
        for layer in (self.adaln[1], self.final_adaln[1], self.out_proj):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        text: TextEmbedding,
        frame_cond: torch.Tensor | None = None,
        frame_mask: torch.Tensor | None = None,
        drop_text: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Predict the velocity.

        x: (B, T, in_dim) noisy frames; t: (B,) flow time in [0, 1]; text: the prompts' conditions;
        frame_cond: (B, T, frame_cond_dim) or None; frame_mask: (B, T) bool, True = real frame;
        drop_text: (B,) bool, True replaces that sample's text by the learned null condition.
        """
        state = self.prepare_text(text, drop_text)
        modulation = self.step_modulation(t, state.global_features)
        rotary = self.rotary(x.shape[1], x.device)
        return self.velocity(x, modulation, state, rotary, frame_cond, frame_mask)

    def prepare_text(
        self, text: TextEmbedding, drop_text: torch.Tensor | None = None
    ) -> TextState:
        """Project the text conditions once; every sampling step of a request reuses them."""
        global_vector, tokens, token_mask = self._text_condition(text, drop_text)
        context = self.token_proj(tokens)  # (B, L, W)
        keys_values = tuple(block.cross.project_context(context) for block in self.blocks)
        return TextState(self.global_proj(global_vector), keys_values, token_mask)

    def step_modulation(self, t: torch.Tensor, global_features: torch.Tensor) -> StepModulation:
        """t: (N,) flow times; global_features: (N, W) from ``prepare_text``. N may stack the
        rows of several steps, since each row is computed on its own."""
        c = self.time_embed(t) + global_features  # (N, W)
        return StepModulation(self.adaln(c).view(c.shape[0], 6, -1), self.final_adaln(c))

    def velocity(
        self,
        x: torch.Tensor,
        modulation: StepModulation,
        text: TextState,
        rotary: tuple[torch.Tensor, torch.Tensor],
        frame_cond: torch.Tensor | None = None,
        frame_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``forward`` with the per-request work done: x (B, T, in_dim) → (B, T, out_dim).

        rotary: ``self.rotary(T, device)``; the other arguments as in ``forward``.
        """
        h = self.in_proj(x)
        if self.frame_cond_proj is not None:
            if frame_cond is None:
                raise ValueError("this DiT is frame-conditioned: pass frame_cond (B, T, dim)")
            h = h + self.frame_cond_proj(frame_cond)
        for block, context in zip(self.blocks, text.context, strict=True):
            h = block(h, modulation.blocks, rotary, frame_mask, context, text.token_mask)
        shift, scale = modulation.final.chunk(2, dim=-1)
        return self.out_proj(modulate(self.final_norm(h), shift, scale))

    def _text_condition(
        self, text: TextEmbedding, drop_text: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Swap in the learned null condition where ``drop_text``; → global, tokens, mask."""
        global_vector, tokens, mask = text.global_vector, text.tokens, text.token_mask
        if drop_text is None:
            return global_vector, tokens, mask
        drop = drop_text.to(device=tokens.device, dtype=torch.bool)
        global_vector = torch.where(
            drop[:, None], self.null_global.to(global_vector), global_vector
        )
        null_tokens = torch.zeros_like(tokens)
        null_tokens[:, 0] = self.null_token.to(tokens)
        tokens = torch.where(drop[:, None, None], null_tokens, tokens)
        # the null condition is one real token; built by a kernel, not a host-side scalar write,
        # so that sampling loops stay capturable as CUDA graphs
        null_mask = (torch.arange(mask.shape[1], device=mask.device) == 0).expand_as(mask)
        mask = torch.where(drop[:, None], null_mask, mask)
        return global_vector, tokens, mask
