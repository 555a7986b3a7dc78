"""Suite-wide settings: one thread per process keeps two-core machines responsive."""

import torch

torch.set_num_threads(1)
