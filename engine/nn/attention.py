"""Multi-head self- and cross-attention on PyTorch's fused scaled-dot-product kernel."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from semanticaudio.engine.nn.rope import apply_rotary
from torch import nn


class SelfAttention(nn.Module):
    """Self-attention over frames with rotary positions and an optional key padding mask."""

    def __init__(self, width: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(width, 3 * width)  # one fused projection for q, k and v
        self.out = nn.Linear(width, width)

    def forward(
        self,
        x: torch.Tensor,
        rotary: tuple[torch.Tensor, torch.Tensor],
        key_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x: (B, T, W); key_mask: (B, T) bool, True = real frame. → (B, T, W)."""
        B, T, W = x.shape
        qkv = self.qkv(x).view(B, T, 3, self.num_heads, W // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, nh, T, hd)
        cos, sin = rotary
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        attn_mask = None if key_mask is None else key_mask[:, None, None, :]  # (B, 1, 1, T)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)  # (B, nh, T, hd)
        return self.out(y.transpose(1, 2).reshape(B, T, W))


class CrossAttention(nn.Module):
    """Frames attend to a token sequence (the text tokens), with a token padding mask."""

    def __init__(self, width: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(width, 2 * width)  # fused key and value projection
        self.out = nn.Linear(width, width)

    def project_context(self, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """context (B, L, W) → keys and values, each (B, nh, L, hd); computed once per request."""
        B, L, W = context.shape
        kv = self.kv(context).view(B, L, 2, self.num_heads, W // self.num_heads)
        k, v = kv.permute(2, 0, 3, 1, 4)  # each (B, nh, L, hd)
        return k, v

    def forward(
        self,
        x: torch.Tensor,
        context: tuple[torch.Tensor, torch.Tensor],
        context_mask: torch.Tensor,
    ) -> torch.Tensor:
        """x: (B, T, W); context: ``project_context``'s keys and values; context_mask: (B, L)
        bool. → (B, T, W)."""
        B, T, W = x.shape
        k, v = context
        q = self.q(x).view(B, T, self.num_heads, W // self.num_heads).transpose(1, 2)
        attn_mask = context_mask[:, None, None, :]  # (B, 1, 1, L)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)  # (B, nh, T, hd)
        return self.out(y.transpose(1, 2).reshape(B, T, W))
