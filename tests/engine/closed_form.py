"""A velocity field known in closed form, for checking samplers and FlowEdit without training.

For the flow from N(0, I) to a point mass μ (x_t = (1 − t)·μ + t·ε), the exact velocity is
v(x, t) = (x − μ) / t. Here μ is the sample's global text vector (broadcast over frames), and the
null condition's μ is ``null_mean``. It has the DiT's call signature, so it runs through the real
guidance, batching and FlowEdit code.
"""

import torch
from semanticaudio.engine.components.base import TextEmbedding
from torch import nn


class PointMassField(nn.Module):
    def __init__(self, null_mean: torch.Tensor) -> None:
        super().__init__()
        self.null_mean = null_mean
        self.calls = 0

    def forward(self, x, t, text: TextEmbedding, frame_cond=None, frame_mask=None, drop_text=None):
        self.calls += 1
        mean = text.global_vector.clone()  # (B, C)
        if drop_text is not None:
            mean[drop_text] = self.null_mean
        return (x - mean[:, None, :]) / t[:, None, None]


def text_for(means: torch.Tensor) -> TextEmbedding:
    """A TextEmbedding whose global vectors are the target means (B, C)."""
    B = means.shape[0]
    return TextEmbedding(means, torch.zeros(B, 1, 1), torch.ones(B, 1, dtype=torch.bool))
