"""The optimised path's working parts for one pipeline: inference copies of the DiTs, the fast
decoder and the graph cache. Per request it pads to the bucket, runs the captured loop and cuts.

It keeps no request state: graphs and compiled code are caches keyed by static shapes.
"""

from __future__ import annotations

import contextlib
from functools import partial

import torch
from semanticaudio.engine.accel.buckets import (
    bucket_frames,
    choose_bucket,
    frame_mask,
    pad_frames,
    pad_tokens,
)
from semanticaudio.engine.accel.compiled import (
    FastDecodeCodec,
    compile_blocks,
    configure_compile_cache,
    inference_copy,
)
from semanticaudio.engine.accel.config import FastConfig
from semanticaudio.engine.accel.graphs import GraphRunner
from semanticaudio.engine.accel.stages import (
    EulerInputs,
    EulerPlan,
    FlowEditInputs,
    FlowEditPlan,
    SourceKind,
    euler_loop,
    flowedit_loop,
)
from semanticaudio.engine.components.base import AcousticCodec, TextEmbedding
from semanticaudio.engine.config import FlowEditConfig
from semanticaudio.engine.flowedit import EditConditions
from semanticaudio.engine.models.semantic_audio import SemanticAudioModel
from semanticaudio.engine.sampling import draw_noise, time_grid

CPU = torch.device("cpu")


class Accelerator:
    """Bucketed, graph-replayed (and optionally compiled) sampling and FlowEdit."""

    def __init__(
        self,
        model: SemanticAudioModel,
        codec: AcousticCodec,
        device: torch.device,
        config: FastConfig,
        frame_rate_hz: float,
    ) -> None:
        self.config = config
        self.device = device
        roles = ("planner", "synthesizer") if model.is_two_stage else ("base",)
        self.dits = {role: inference_copy(getattr(model, role), config.torch_dtype)
                     for role in roles}
        self.cache_dir = configure_compile_cache(config.cache_dir) if config.compile else None
        if config.compile:
            for dit in self.dits.values():
                compile_blocks(dit, config.compile_mode)
        self.codec = FastDecodeCodec(codec, config.codec_torch_dtype,
                                     config.compile and config.compile_codec,
                                     lstm_dtype=config.codec_lstm_torch_dtype)
        use_graphs = config.cuda_graphs and device.type == "cuda"
        self.runner = GraphRunner(device, use_graphs, config.max_graphs)
        self.buckets = bucket_frames(config.bucket_durations_s, frame_rate_hz)

    def bucket_for(self, num_frames: int, *texts: TextEmbedding | None) -> int | None:
        """The bucket of a request; None when it is too long or a prompt has too many tokens."""
        capacity = self.config.token_capacity
        if any(t is not None and t.tokens.shape[1] > capacity for t in texts):
            return None
        return choose_bucket(num_frames, self.buckets)

    @torch.no_grad()
    def sample(
        self,
        role: str,
        text: TextEmbedding,
        noise: torch.Tensor,
        num_steps: int,
        guidance: float,
        frame_cond: torch.Tensor | None = None,
        null_text: bool = False,
    ) -> torch.Tensor:
        """Euler sampling of ``role``'s DiT from ``noise`` (V, T, C). → (V, T, C) float32.

        null_text: every pass gets the null text (no guidance), as for a synthesizer trained
        without text."""
        plan, inputs = self.sample_inputs(text, noise, num_steps, guidance, frame_cond, null_text)
        bucket = inputs.noise.shape[1]
        key = ("euler", role, bucket, noise.shape[0], frame_cond is not None, plan)
        with self._no_autocast():
            out = self.runner.run(key, partial(euler_loop, self.dits[role], plan), inputs)
        return out[:, : noise.shape[1]]

    def sample_inputs(
        self,
        text: TextEmbedding,
        noise: torch.Tensor,
        num_steps: int,
        guidance: float,
        frame_cond: torch.Tensor | None = None,
        null_text: bool = False,
    ) -> tuple[EulerPlan, EulerInputs]:
        """The plan and the bucket-padded inputs of ``sample``."""
        V, T, _ = noise.shape
        bucket = self._bucket(T, text)
        inputs = EulerInputs(
            noise=pad_frames(noise, bucket),
            frame_mask=frame_mask(V, T, bucket),
            text=pad_tokens(text, self.config.token_capacity),
            times=_step_times(num_steps),
            guidance=torch.tensor(float(guidance)),
            frame_cond=None if frame_cond is None else pad_frames(frame_cond, bucket),
        )
        return EulerPlan(num_steps, guidance != 1.0 and not null_text, null_text), inputs

    @torch.no_grad()
    def flow_edit(
        self,
        role: str,
        x_src: torch.Tensor,
        conditions: EditConditions,
        settings: FlowEditConfig,
        region: torch.Tensor | None,
        generator: torch.Generator,
    ) -> torch.Tensor:
        """FlowEdit ``x_src`` (V, T, C); region: (T,) weights or None. → (V, T, C) float32."""
        plan, inputs = self.edit_inputs(x_src, conditions, settings, region, generator)
        key = ("flowedit", role, inputs.x_src.shape[1], x_src.shape[0], plan)
        with self._no_autocast():
            out = self.runner.run(key, partial(flowedit_loop, self.dits[role], plan), inputs)
        return out[:, : x_src.shape[1]]

    def edit_inputs(
        self,
        x_src: torch.Tensor,
        conditions: EditConditions,
        settings: FlowEditConfig,
        region: torch.Tensor | None,
        generator: torch.Generator,
    ) -> tuple[FlowEditPlan, FlowEditInputs]:
        """The plan and the bucket-padded inputs of ``flow_edit``; draws the edit's noise."""
        V, T, C = x_src.shape
        bucket = self._bucket(T, conditions.target, conditions.source)
        plan = edit_plan(settings, conditions, region is not None)
        noise, target_noise = draw_edit_noise(plan, (V, T, C), generator)
        source = conditions.target if conditions.source is None else conditions.source
        capacity = self.config.token_capacity
        weights = None if region is None else region.float()[None, :, None].expand(V, T, 1)
        inputs = FlowEditInputs(
            x_src=pad_frames(x_src.float(), bucket),
            frame_mask=frame_mask(V, T, bucket),
            target=pad_tokens(conditions.target, capacity),
            source=pad_tokens(source, capacity),
            noise=pad_frames(noise, bucket, dim=3),
            target_noise=pad_frames(target_noise, bucket),
            times=_step_times(settings.num_steps),
            target_guidance=torch.tensor(float(settings.target_guidance)),
            source_guidance=torch.tensor(float(settings.source_guidance)),
            region=None if weights is None else pad_frames(weights, bucket),
        )
        return plan, inputs

    def _bucket(self, num_frames: int, *texts: TextEmbedding | None) -> int:
        bucket = self.bucket_for(num_frames, *texts)
        if bucket is None:
            raise ValueError(
                f"{num_frames} frames or the prompts do not fit the buckets {self.buckets} "
                f"(token capacity {self.config.token_capacity}); check bucket_for first"
            )
        return bucket

    def _no_autocast(self) -> contextlib.AbstractContextManager:
        # the copies already run in the chosen dtype; autocast would only add casts
        return torch.autocast(self.device.type, enabled=False)


def edit_plan(settings: FlowEditConfig, conditions: EditConditions, has_region: bool
              ) -> FlowEditPlan:
    """The static plan of an edit. A source caption at guidance 1 needs only its conditional
    pass: v_u + 1·(v_c − v_u) is v_c up to rounding."""
    source: SourceKind = "null"
    if conditions.source is not None:
        source = "conditional" if settings.source_guidance == 1.0 else "guided"
    return FlowEditPlan(settings.num_steps, settings.n_max, settings.n_min, settings.n_avg,
                        source, settings.target_guidance != 1.0, has_region)


def draw_edit_noise(plan: FlowEditPlan, shape: tuple[int, int, int], generator: torch.Generator
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Every draw of an edit, in the plain path's order: n_avg per FlowEdit step, then one for
    the first target step. → (steps, n_avg, V, T, C) and (V, T, C) (zeros when n_min is 0)."""
    count = len(plan.edit_steps) * plan.n_avg
    draws = [draw_noise(shape, generator, CPU, torch.float32) for _ in range(count)]
    noise = torch.stack(draws) if draws else torch.zeros(0, *shape)
    noise = noise.view(len(plan.edit_steps), plan.n_avg, *shape)
    target = draw_noise(shape, generator, CPU, torch.float32) if plan.n_min else torch.zeros(shape)
    return noise, target


def _step_times(num_steps: int) -> torch.Tensor:
    """(num_steps,) float32: the t of each step, as the plain path passes it to the DiT."""
    return torch.tensor(time_grid(num_steps)[:-1], dtype=torch.float32)
