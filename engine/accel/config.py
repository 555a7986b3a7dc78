"""Settings of the optimised path, as one frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch

FAST_DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
RequestKind = Literal["generate", "edit"]
# Modes whose kernels can be captured in our own CUDA graph: "reduce-overhead" and
# "max-autotune" bring inductor's CUDA graphs, which cannot nest inside a capture.
COMPILE_MODES = ("default", "max-autotune-no-cudagraphs")


@dataclass(frozen=True)
class WarmupRequest:
    """A request shape to compile and capture at start-up, so the first real one is fast."""

    kind: RequestKind = "generate"
    duration_s: float = 10.0
    variations: int = 1

    def __post_init__(self) -> None:
        if self.kind not in ("generate", "edit"):
            raise ValueError(f"warm-up kind must be 'generate' or 'edit', got {self.kind!r}")
        if self.duration_s <= 0 or self.variations < 1:
            raise ValueError(
                "warm-up needs duration_s > 0 and variations ≥ 1, got "
                f"duration_s={self.duration_s}, variations={self.variations}"
            )


@dataclass(frozen=True)
class FastConfig:
    """What the optimised path does.

    bucket_durations_s: requests are padded up to the smallest of these durations (static shapes
    for graphs and compiled kernels); longer ones take the plain path. token_capacity: prompts are
    padded to this many tokens (longer ones take the plain path). cuda_graphs: replay each
    sampling loop as one CUDA graph. compile: ``torch.compile`` the DiT block (regional: one
    compile serves every block of both DiTs); compile_codec: the codec decoder too. cache_dir:
    torch's compile cache (None: the user cache folder). allow_cpu: run the bucketed path on the
    CPU too (tests, benchmark); by default the CPU path stays the plain one. codec_lstm_dtype:
    run the decoder's LSTMs (the published watermark's) one layer per call in this dtype
    (``compiled.LayeredLSTM``; "float16" lets cuDNN use one persistent kernel per layer); None
    keeps them in ``codec_dtype``. Off by default until its H100 timing is measured.
    """

    dtype: str = "bfloat16"
    codec_dtype: str = "bfloat16"
    codec_lstm_dtype: str | None = None
    bucket_durations_s: tuple[float, ...] = (5.0, 10.0, 20.0, 30.0)
    token_capacity: int = 128
    cuda_graphs: bool = True
    compile: bool = True
    compile_codec: bool = False  # opt-in: compiling the decoder was slow on the CPU; measured
    compile_mode: str = "default"  # max-autotune spent over four minutes (REFERENCE.md)
    cache_dir: Path | None = None
    max_graphs: int = 16
    warmup: tuple[WarmupRequest, ...] = field(
        default_factory=lambda: (WarmupRequest("generate"), WarmupRequest("edit"))
    )
    allow_cpu: bool = False

    def __post_init__(self) -> None:
        for name in ("dtype", "codec_dtype", "codec_lstm_dtype"):
            if name == "codec_lstm_dtype" and self.codec_lstm_dtype is None:
                continue
            if getattr(self, name) not in FAST_DTYPES:
                raise ValueError(
                    f"{name} must be one of {sorted(FAST_DTYPES)}, got {getattr(self, name)!r}"
                )
        buckets = self.bucket_durations_s
        if not buckets or any(b <= 0 for b in buckets) or list(buckets) != sorted(set(buckets)):
            raise ValueError(
                f"bucket_durations_s must be positive and strictly increasing, got {buckets}"
            )
        if self.token_capacity < 1 or self.max_graphs < 1:
            raise ValueError(
                "token_capacity and max_graphs must be at least 1, got "
                f"{self.token_capacity} and {self.max_graphs}"
            )
        if self.compile_mode not in COMPILE_MODES:
            raise ValueError(
                f"compile_mode must be one of {COMPILE_MODES}, got {self.compile_mode!r}"
            )

    @property
    def torch_dtype(self) -> torch.dtype:
        return FAST_DTYPES[self.dtype]

    @property
    def codec_torch_dtype(self) -> torch.dtype:
        return FAST_DTYPES[self.codec_dtype]

    @property
    def codec_lstm_torch_dtype(self) -> torch.dtype | None:
        return None if self.codec_lstm_dtype is None else FAST_DTYPES[self.codec_lstm_dtype]
