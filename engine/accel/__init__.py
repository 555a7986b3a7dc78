"""The optimised inference path: bf16 copies of the models, static shapes per duration bucket,
each sampling loop replayed as one CUDA graph, ``torch.compile`` of the repeated DiT block with
its artifacts cached on disk, and warm-up at daemon start. See docs/speed.md.

``load_fast_pipeline`` returns a ``FastPipeline``: the same API as ``Pipeline``; on the CPU it is
the plain pipeline unless ``FastConfig.allow_cpu`` asks otherwise (tests and the benchmark).
"""

from semanticaudio.engine.accel.config import FastConfig, WarmupRequest
from semanticaudio.engine.accel.fast_pipeline import FastPipeline, load_fast_pipeline

__all__ = ["FastConfig", "FastPipeline", "WarmupRequest", "load_fast_pipeline"]
