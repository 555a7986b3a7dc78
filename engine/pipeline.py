"""Generation and editing pipelines: one entry per task, each read as numbered steps.

``load_pipeline`` reads a checkpoint folder (or the shipped default model) and returns a
``Pipeline`` for either model type: SemanticAudio (planner → synthesizer → codec) or the Base
model (text → acoustic latent → codec). Both take a seed, a duration, a progress callback and a
cancel check, and return small dataclasses.
"""

from __future__ import annotations

import contextlib
import math
import random
from dataclasses import dataclass
from pathlib import Path

import torch
import torchaudio.functional as AF
from semanticaudio.engine import regions
from semanticaudio.engine.checkpoint import Checkpoint, load_checkpoint
from semanticaudio.engine.components.base import TextEmbedding
from semanticaudio.engine.components.waveform import remove_dc
from semanticaudio.engine.config import FlowEditConfig
from semanticaudio.engine.errors import EngineError
from semanticaudio.engine.flowedit import EditConditions, flow_edit
from semanticaudio.engine.limits import (
    MAX_DURATION_S,
    MAX_N_AVG,
    MAX_STEPS,
    MAX_VARIATIONS,
    MIN_DURATION_S,
)
from semanticaudio.engine.models.dit import DiT
from semanticaudio.engine.sampling import (
    CancelFn,
    ProgressFn,
    StepReporter,
    VelocityQuery,
    draw_noise,
    euler_sample,
    evaluate_velocities,
    guided_velocity,
)
from semanticaudio.engine.validation import (
    check_duration,
    check_guidance,
    check_prompt,
    check_steps,
    check_variations,
    check_waveform,
    check_whole_number,
)

DEFAULT_MODEL_DIR = Path(__file__).parent / "assets" / "default_model"
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass(frozen=True)
class GenerationResult:
    """waveforms: (variations, num_samples) float32 on the CPU at ``sample_rate_hz``."""

    waveforms: torch.Tensor
    sample_rate_hz: int
    acoustic_latents: torch.Tensor  # (V, T, acoustic_dim), in the codec's scale
    semantic_latents: torch.Tensor | None  # (V, T, d), standardised; None for the Base model
    seed: int


@dataclass(frozen=True)
class EditResult(GenerationResult):
    source_latent: torch.Tensor | None = None  # the latent FlowEdit started from, (1, T, C)


class Pipeline:
    """Runs one checkpoint on one device. Holds no per-request state."""

    min_duration_s = MIN_DURATION_S
    max_duration_s = MAX_DURATION_S
    max_variations = MAX_VARIATIONS

    def __init__(
        self, checkpoint: Checkpoint, device: torch.device, dtype: torch.dtype, model_name: str
    ) -> None:
        self.checkpoint = checkpoint
        self.model = checkpoint.model
        self.components = checkpoint.components
        self.device = device
        self.dtype = dtype
        self.model_name = model_name
        self.codec = checkpoint.components.codec

    @property
    def sample_rate_hz(self) -> int:
        return int(self.codec.sample_rate_hz)

    @property
    def frame_rate_hz(self) -> float:
        return float(self.codec.frame_rate_hz)

    def warmup(self) -> None:
        """One short generation, so the first real request pays no start-up cost."""
        self.generate("warm-up", self.min_duration_s, seed=0, num_steps=1, synth_steps=1)

    # ------------------------------------------------------------------ generate
    @torch.no_grad()
    def generate(
        self,
        prompt: str,
        duration_s: float,
        *,
        seed: int | None = None,
        variations: int = 1,
        num_steps: int | None = None,
        guidance: float | None = None,
        synth_steps: int | None = None,
        progress: ProgressFn | None = None,
        should_cancel: CancelFn | None = None,
    ) -> GenerationResult:
        """Text → ``variations`` waveforms of exactly round(duration_s · rate) samples."""
        # 1. Check the request and resolve the defaults.
        sampling = self.checkpoint.config.sampling
        two_stage = self.model.is_two_stage
        default_steps = sampling.planner_steps if two_stage else sampling.base_steps
        default_scale = sampling.text_guidance(two_stage)
        steps = check_steps(_default(num_steps, default_steps))
        scale = check_guidance(_default(guidance, default_scale))
        synth = check_steps(_default(synth_steps, sampling.synth_steps)) if two_stage else 0
        duration_s = check_duration(duration_s, self.min_duration_s, self.max_duration_s)
        variations = check_variations(variations, self.max_variations)
        seed, generator = _generator(seed)
        reporter = StepReporter(steps + synth + 1, progress, should_cancel)
        # 2. Encode the prompt once; variations share it.
        text = self._encode_text([check_prompt(prompt)]).repeat(variations)
        num_frames = math.ceil(duration_s * self.frame_rate_hz)
        with self._autocast():
            # 3. Plan the semantic latent (two-stage) and render the acoustic latent.
            semantic, config = None, self.model.config
            sample = (num_frames, steps, scale, generator, reporter)
            if two_stage:
                semantic = self._sample_from_text(self.model.planner, config.semantic_dim, text,
                                                  *sample)
                acoustic = self._synthesize(text, semantic, synth, generator, reporter)
            else:
                acoustic = self._sample_from_text(self.model.base, config.acoustic_dim, text,
                                                  *sample)
            # 4. Decode, and cut to the exact sample count.
            waveforms = self._decode(acoustic, round(duration_s * self.sample_rate_hz), reporter)
        return GenerationResult(
            waveforms,
            self.sample_rate_hz,
            self.model.acoustic_norm.denormalize(acoustic).float().cpu(),
            None if semantic is None else semantic.float().cpu(),
            seed,
        )

    def _sample_from_text(
        self,
        model: DiT,
        latent_dim: int,
        text: TextEmbedding,
        num_frames: int,
        steps: int,
        scale: float,
        generator: torch.Generator,
        reporter: StepReporter,
    ) -> torch.Tensor:
        """Planner or Base model: noise → standardised latent (V, T, latent_dim), text-guided."""
        shape = (text.batch_size, num_frames, latent_dim)
        noise = draw_noise(shape, generator, self.device, self._latent_dtype)
        return euler_sample(
            lambda x, t: guided_velocity(model, x, t, text, scale), noise, steps, reporter, "plan"
        )

    def _synthesize(
        self,
        text: TextEmbedding,
        semantic: torch.Tensor,
        steps: int,
        generator: torch.Generator,
        reporter: StepReporter,
    ) -> torch.Tensor:
        """Acoustic Synthesizer: noise + semantic plan → standardised acoustic latent."""
        shape = (*semantic.shape[:2], self.model.config.acoustic_dim)
        noise = draw_noise(shape, generator, self.device, self._latent_dtype)
        synthesizer = self.model.synthesizer
        scale = self.checkpoint.config.sampling.synth_guidance

        def velocity(x: torch.Tensor, t: float) -> torch.Tensor:
            if not self.model.config.synthesizer_uses_text:  # trained on the null text only
                query = VelocityQuery(x, text, drop_text=True, frame_cond=semantic)
                return evaluate_velocities(synthesizer, [query], t)[0]
            return guided_velocity(synthesizer, x, t, text, scale, frame_cond=semantic)

        return euler_sample(velocity, noise, steps, reporter, "synthesize")

    def _decode(
        self, acoustic: torch.Tensor, num_samples: int, reporter: StepReporter
    ) -> torch.Tensor:
        """Standardised acoustic latent → (V, num_samples) float32 waveforms on the CPU, with
        any DC offset the codec leaves removed (``remove_dc``)."""
        reporter.check_cancel()
        latent = self.model.acoustic_norm.denormalize(acoustic)
        waveforms = self.codec.decode(latent.to(self._codec_dtype)).float()
        waveforms = remove_dc(_fit_length(waveforms, num_samples), self.sample_rate_hz)
        reporter.step("decode")
        return waveforms.clamp(-1.0, 1.0).cpu()

    # ---------------------------------------------------------------------- edit
    @torch.no_grad()
    def edit(
        self,
        waveform: torch.Tensor,
        sample_rate_hz: int,
        target_prompt: str,
        source_prompt: str | None = None,
        *,
        range_s: tuple[float, float] | None = None,
        seed: int | None = None,
        variations: int = 1,
        num_steps: int | None = None,
        n_max: int | None = None,
        n_min: int | None = None,
        n_avg: int | None = None,
        source_guidance: float | None = None,
        target_guidance: float | None = None,
        synth_steps: int | None = None,
        progress: ProgressFn | None = None,
        should_cancel: CancelFn | None = None,
    ) -> EditResult:
        """FlowEdit a mono waveform (num_samples,) toward ``target_prompt``.

        Two-stage models edit the semantic latent with the planner (the paper's method); the Base
        model edits the acoustic latent (the paper's baseline). ``range_s`` = (start, end) seconds
        limits the edit to that range; outside it the output equals the input apart from a
        crossfade of ``regions.CROSSFADE_S`` straddling each border (none at the clip's own start
        or end: a range over the whole clip is the whole-clip edit). Output: same length and rate
        as the input.
        """
        # 1. Check the request and bring the audio to the model's rate.
        settings = self._flowedit_settings(
            num_steps, n_max, n_min, n_avg, source_guidance, target_guidance
        )
        source = check_waveform(waveform, sample_rate_hz, self.min_duration_s, self.max_duration_s)
        duration_s = len(source) / sample_rate_hz
        span = None
        if range_s is not None:  # the clip's own ends are no border to fade across
            span = regions.check_range(range_s, duration_s)
            span = regions.open_ends(span, duration_s, sample_rate_hz)
        variations = check_variations(variations, self.max_variations)
        synth = check_steps(_default(synth_steps, self.checkpoint.config.sampling.synth_steps))
        seed, generator = _generator(seed)
        render_steps = synth if self.model.is_two_stage else 0
        reporter = StepReporter(settings.n_max + render_steps + 1, progress, should_cancel)
        model_wave = self._to_model_rate(source, sample_rate_hz)
        num_frames = math.ceil(len(model_wave) / self.codec.hop_length)
        # 2. Encode the prompts (an empty or missing source prompt means the null condition).
        target = self._encode_text([check_prompt(target_prompt)]).repeat(variations)
        src_text = None
        if not _is_blank(source_prompt):
            src_text = self._encode_text([check_prompt(source_prompt, "source prompt")])
            src_text = src_text.repeat(variations)
        mask = None if span is None else regions.frame_mask(span, num_frames, self.frame_rate_hz)
        with self._autocast():
            # 3. Encode the source to the edited space and run FlowEdit there.
            x_src = self._encode_source(model_wave, num_frames).repeat(variations, 1, 1)
            edited = self._flow_edit(x_src, EditConditions(target, src_text), settings, mask,
                                     generator, reporter)
            # 4. Render the edited latent to audio (the synthesizer re-renders two-stage edits).
            semantic = edited if self.model.is_two_stage else None
            acoustic = edited
            if self.model.is_two_stage:
                acoustic = self._synthesize(target, edited, synth, generator, reporter)
            rendered = self._decode(acoustic, len(model_wave), reporter)
        # 5. Back to the input's rate; splice the region into the untouched source.
        waveforms = _fit_length(self._from_model_rate(rendered, sample_rate_hz), len(source))
        if span is not None:
            waveforms = regions.splice(source, waveforms, span, sample_rate_hz)
        acoustic_out = self.model.acoustic_norm.denormalize(acoustic).float().cpu()
        semantic_out = None if semantic is None else semantic.float().cpu()
        return EditResult(waveforms, sample_rate_hz, acoustic_out, semantic_out, seed,
                          x_src[:1].float().cpu())

    @torch.no_grad()
    def resynthesize(
        self,
        waveform: torch.Tensor,
        sample_rate_hz: int,
        prompt: str,
        *,
        seed: int | None = None,
        synth_steps: int | None = None,
    ) -> GenerationResult:
        """Render a mono recording's own semantic plan (its semantic encoder latent) with the
        synthesizer, conditioned on ``prompt``: what generation would give if the planner drew
        exactly that plan. Two-stage models only. Output: same length and rate as the input.

        The build's diagnostics use it to tell what the synthesizer loses from what the planner
        loses (``bench/stage_ceilings.py``)."""
        if not self.model.is_two_stage:
            raise EngineError("resynthesize needs a two-stage model (a planner's semantic space); "
                              "this checkpoint is a Base model")
        source = check_waveform(waveform, sample_rate_hz, self.min_duration_s, self.max_duration_s)
        synth = check_steps(_default(synth_steps, self.checkpoint.config.sampling.synth_steps))
        seed, generator = _generator(seed)
        reporter = StepReporter(synth + 1)
        model_wave = self._to_model_rate(source, sample_rate_hz)
        num_frames = math.ceil(len(model_wave) / self.codec.hop_length)
        text = self._encode_text([check_prompt(prompt)])
        with self._autocast():
            semantic = self._encode_source(model_wave, num_frames)
            acoustic = self._synthesize(text, semantic, synth, generator, reporter)
            rendered = self._decode(acoustic, len(model_wave), reporter)
        waveforms = _fit_length(self._from_model_rate(rendered, sample_rate_hz), len(source))
        return GenerationResult(waveforms, sample_rate_hz,
                                self.model.acoustic_norm.denormalize(acoustic).float().cpu(),
                                semantic.float().cpu(), seed)

    def _flow_edit(self, x_src: torch.Tensor, conditions: EditConditions,
                   settings: FlowEditConfig, mask: torch.Tensor | None,
                   generator: torch.Generator, reporter: StepReporter) -> torch.Tensor:
        """FlowEdit with the planner (two-stage) or the Base model, on (V, T, C) latents."""
        model = self.model.planner if self.model.is_two_stage else self.model.base
        region = None
        if mask is not None:
            region = mask.to(self.device)[None].expand(x_src.shape[0], -1)  # (V, T)
        return flow_edit(model, x_src, conditions, settings, generator, reporter, region)

    def _flowedit_settings(
        self, num_steps, n_max, n_min, n_avg, source_guidance, target_guidance
    ) -> FlowEditConfig:
        """The checkpoint's defaults, overridden by the request; a clear error if inconsistent."""
        overrides = {
            "num_steps": num_steps,
            "n_max": n_max,
            "n_min": n_min,
            "n_avg": n_avg,
            "source_guidance": source_guidance,
            "target_guidance": target_guidance,
        }
        # the same limits as sa, the protocol and the presets: a request may name any of them
        ranges = {"n_max": (0, MAX_STEPS), "n_min": (0, MAX_STEPS), "n_avg": (1, MAX_N_AVG)}
        if num_steps is not None:
            check_steps(num_steps)
        for key, (minimum, maximum) in ranges.items():
            if overrides[key] is not None:
                check_whole_number(key, overrides[key], minimum, maximum)
        for key in ("source_guidance", "target_guidance"):
            if overrides[key] is not None:
                check_guidance(overrides[key])
        try:
            return self.checkpoint.config.flowedit.with_overrides(**overrides)
        except ValueError as error:
            raise EngineError(str(error)) from None

    def _encode_source(self, model_wave: torch.Tensor, num_frames: int) -> torch.Tensor:
        """Source audio → the clean latent FlowEdit starts from, (1, T, C), standardised."""
        padded = _fit_length(model_wave[None], num_frames * self.codec.hop_length).to(self.device)
        if not self.model.is_two_stage:
            latent = self.codec.encode(padded.to(self._codec_dtype))
            return self.model.acoustic_norm.normalize(_fit_frames(latent.float(), num_frames))
        encoder = self.components.semantic_encoder
        if encoder is None:
            raise EngineError("this checkpoint has no semantic encoder, so it cannot edit audio")
        semantic_wave = padded
        if encoder.sample_rate_hz != self.sample_rate_hz:
            semantic_wave = AF.resample(padded.float(), self.sample_rate_hz, encoder.sample_rate_hz)
        frames = _fit_frames(encoder.encode(semantic_wave).float(), num_frames)
        # under autocast the head's matmuls return bf16/fp16: FlowEdit integrates in float32
        return self.model.semantic_latent(frames).to(self._latent_dtype)

    def _to_model_rate(self, waveform: torch.Tensor, sample_rate_hz: int) -> torch.Tensor:
        if sample_rate_hz == self.sample_rate_hz:
            return waveform
        return AF.resample(waveform, sample_rate_hz, self.sample_rate_hz)

    def _from_model_rate(self, waveforms: torch.Tensor, sample_rate_hz: int) -> torch.Tensor:
        if sample_rate_hz == self.sample_rate_hz:
            return waveforms
        return AF.resample(waveforms, self.sample_rate_hz, sample_rate_hz)

    # ------------------------------------------------------------------ helpers
    def _encode_text(self, prompts: list[str]) -> TextEmbedding:
        return self.components.encode_text(prompts).to(self.device, self._latent_dtype)

    @property
    def _latent_dtype(self) -> torch.dtype:
        return torch.float32  # latents stay float32; autocast lowers the matmuls

    @property
    def _codec_dtype(self) -> torch.dtype:
        return torch.float32

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)


def _is_blank(prompt: object) -> bool:
    """None or whitespace-only text: no source caption, so FlowEdit uses the null condition."""
    return prompt is None or (isinstance(prompt, str) and not prompt.strip())


def _default(value, default):
    return default if value is None else value


def _generator(seed: int | None) -> tuple[int, torch.Generator]:
    """A CPU generator (bit-identical noise for a seed on any device); a fresh seed if None."""
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise EngineError(f"seed must be a whole number from 0 to 2**63 - 1, got {seed!r}")
    return seed, torch.Generator(device="cpu").manual_seed(seed)


def _fit_length(waveforms: torch.Tensor, num_samples: int) -> torch.Tensor:
    """Cut or zero-pad the last axis to ``num_samples``."""
    if waveforms.shape[-1] >= num_samples:
        return waveforms[..., :num_samples]
    return torch.nn.functional.pad(waveforms, (0, num_samples - waveforms.shape[-1]))


def _fit_frames(frames: torch.Tensor, num_frames: int) -> torch.Tensor:
    """(B, T', C) → (B, num_frames, C): trim, or repeat the last frame (rounding at the end)."""
    if frames.shape[1] >= num_frames:
        return frames[:, :num_frames]
    tail = frames[:, -1:].expand(-1, num_frames - frames.shape[1], -1)
    return torch.cat([frames, tail], dim=1)


def resolve_device(device: str) -> torch.device:
    """'auto' → CUDA when present, else the CPU; 'cpu' and 'cuda[:n]' as given."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise EngineError(f"device {device!r} was asked for, but no CUDA device is available")
    if device != "cpu" and not device.startswith("cuda"):
        raise EngineError(f"device must be 'auto', 'cpu' or 'cuda[:N]', got {device!r}")
    return torch.device(device)


def load_pipeline(
    model_dir: str | Path | None = None, device: str = "auto", dtype: str = "float32"
) -> Pipeline:
    """Load a checkpoint folder (None: the shipped default model) for inference."""
    if dtype not in DTYPES:
        raise EngineError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    folder = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
    if model_dir is None and not (folder / "config.json").is_file():
        raise EngineError(
            "no model was named and no default model is installed; pass --model DIR "
            "(`sa init-tiny DIR` writes a small random one)"
        )
    torch_device = resolve_device(device)
    checkpoint = load_checkpoint(folder, torch_device)
    return Pipeline(checkpoint, torch_device, DTYPES[dtype], checkpoint.config.name)
