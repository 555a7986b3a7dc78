"""``FastPipeline``: the ``Pipeline`` API with the optimised path behind its stage methods.

On CUDA (or on the CPU with ``FastConfig.allow_cpu``) the planner, synthesizer and Base loops,
FlowEdit and the codec decode go through the ``Accelerator``; everything else (checks, text and
source encoding, the order of noise draws, splicing) is the plain pipeline's, so a seed gives
the plain path's output up to the precision of ``FastConfig.dtype``. Requests that fit no bucket
take the plain path. Progress: each graph-replayed loop reports its steps at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch
from semanticaudio.engine.accel.config import FastConfig, WarmupRequest
from semanticaudio.engine.accel.runtime import CPU, Accelerator
from semanticaudio.engine.checkpoint import Checkpoint
from semanticaudio.engine.components.base import TextEmbedding
from semanticaudio.engine.config import FlowEditConfig
from semanticaudio.engine.flowedit import EditConditions
from semanticaudio.engine.pipeline import Pipeline, load_pipeline
from semanticaudio.engine.sampling import StepReporter, draw_noise


@dataclass(frozen=True)
class WarmupTiming:
    """How long one warm-up request took (compile, capture and one run), in seconds."""

    request: WarmupRequest
    seconds: float


class FastPipeline(Pipeline):
    """A ``Pipeline`` whose sampling, FlowEdit and decode take the optimised path."""

    def __init__(
        self,
        checkpoint: Checkpoint,
        device: torch.device,
        dtype: torch.dtype,
        model_name: str,
        fast: FastConfig | None = None,
    ) -> None:
        super().__init__(checkpoint, device, dtype, model_name)
        self.fast_config = fast or FastConfig()
        self.accelerator: Accelerator | None = None
        if device.type == "cuda" or self.fast_config.allow_cpu:
            self.accelerator = Accelerator(
                self.model, self.codec, device, self.fast_config, self.frame_rate_hz
            )
            self.codec = self.accelerator.codec

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline, fast: FastConfig | None = None) -> FastPipeline:
        """The same checkpoint, device and dtype, with the optimised path."""
        return cls(pipeline.checkpoint, pipeline.device, pipeline.dtype, pipeline.model_name, fast)

    def warmup(self) -> tuple[WarmupTiming, ...]:
        """Compile and capture the configured request shapes (``FastConfig.warmup``)."""
        if self.accelerator is None:
            super().warmup()
            return ()
        return tuple(self._warm(request) for request in self.fast_config.warmup)

    def _warm(self, request: WarmupRequest) -> WarmupTiming:
        start = time.perf_counter()
        if request.kind == "generate":
            self.generate("warm-up", request.duration_s, seed=0, variations=request.variations)
        else:
            noise = torch.Generator().manual_seed(0)
            source = 0.1 * torch.randn(round(request.duration_s * self.sample_rate_hz),
                                       generator=noise)
            self.edit(source, self.sample_rate_hz, "warm-up target", "warm-up source", seed=0,
                      variations=request.variations)
        return WarmupTiming(request, time.perf_counter() - start)

    # ------------------------------------------------------------ stage methods
    def _sample_from_text(self, model, latent_dim, text, num_frames, steps, scale, generator,
                          reporter) -> torch.Tensor:
        role = self._role(model)
        if role is None or not self._fits(num_frames, text):
            return super()._sample_from_text(model, latent_dim, text, num_frames, steps, scale,
                                             generator, reporter)
        shape = (text.batch_size, num_frames, latent_dim)
        return self._sample(role, text, shape, steps, scale, None, generator, reporter, "plan")

    def _synthesize(self, text, semantic, steps, generator, reporter) -> torch.Tensor:
        if not self._fits(semantic.shape[1], text):
            return super()._synthesize(text, semantic, steps, generator, reporter)
        shape = (*semantic.shape[:2], self.model.config.acoustic_dim)
        scale = self.checkpoint.config.sampling.synth_guidance
        null_text = not self.model.config.synthesizer_uses_text  # trained on the null text only
        return self._sample("synthesizer", text, shape, steps, scale, semantic, generator,
                            reporter, "synthesize", null_text)

    def _flow_edit(
        self,
        x_src: torch.Tensor,
        conditions: EditConditions,
        settings: FlowEditConfig,
        mask: torch.Tensor | None,
        generator: torch.Generator,
        reporter: StepReporter,
    ) -> torch.Tensor:
        fits = self._fits(x_src.shape[1], conditions.target, conditions.source)
        if not fits or conditions.frame_cond is not None:
            return super()._flow_edit(x_src, conditions, settings, mask, generator, reporter)
        role = "planner" if self.model.is_two_stage else "base"
        reporter.check_cancel()
        region = None if mask is None else mask.to(self.device)
        edited = self.accelerator.flow_edit(role, x_src, conditions, settings, region, generator)
        reporter.advance(settings.n_max, "edit")
        return edited

    def _sample(
        self,
        role: str,
        text: TextEmbedding,
        shape: tuple[int, int, int],
        steps: int,
        scale: float,
        frame_cond: torch.Tensor | None,
        generator: torch.Generator,
        reporter: StepReporter,
        stage: str,
        null_text: bool = False,
    ) -> torch.Tensor:
        """Draw the noise as the plain path does, then run the captured loop."""
        reporter.check_cancel()
        noise = draw_noise(shape, generator, CPU, torch.float32)
        out = self.accelerator.sample(role, text, noise, steps, scale, frame_cond, null_text)
        reporter.advance(steps, stage)
        return out

    def _role(self, model: torch.nn.Module) -> str | None:
        """The accelerator's name for one of this pipeline's DiTs; None for any other model."""
        if self.accelerator is None:
            return None
        return next((role for role in self.accelerator.dits if getattr(self.model, role, None)
                     is model), None)

    def _fits(self, num_frames: int, *texts: TextEmbedding | None) -> bool:
        return (self.accelerator is not None
                and self.accelerator.bucket_for(num_frames, *texts) is not None)


def load_fast_pipeline(
    model_dir: str | Path | None = None,
    device: str = "auto",
    dtype: str = "float32",
    fast: FastConfig | None = None,
) -> FastPipeline:
    """``load_pipeline`` with the optimised path (plain on the CPU unless ``fast.allow_cpu``)."""
    return FastPipeline.from_pipeline(load_pipeline(model_dir, device, dtype), fast)
