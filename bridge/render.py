"""One job from request to files: settings, audio in, the pipeline, audio out, effects, write.

Runs on the worker thread, the only thread that calls the pipeline (and so torch). Edits keep
the source's channel count by putting the model's mono result in every channel: a semantic edit
changes what is heard, so carrying the source's stereo difference signal into it would leak the
old content back in. Outside `range=A:B` a region edit keeps the source's own samples.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pedalboard
import torch
from semanticaudio.bridge import audio_io, validation
from semanticaudio.bridge.audio_io import Audio, AudioError, AudioInfo
from semanticaudio.bridge.job_settings import (
    RenderSettings,
    build_chain,
    resolve_edit,
    resolve_generate,
)
from semanticaudio.bridge.jobs import JobHooks
from semanticaudio.bridge.output import output_stem, write_new_file
from semanticaudio.bridge.presets import PresetLibrary
from semanticaudio.bridge.protocol import (
    EditRequest,
    ErrorCode,
    GenerateRequest,
    JobRequest,
    ProtocolError,
)
from semanticaudio.engine.errors import Cancelled

# A generated take keeps its effects' tail (big-hall's reverb rings for about 4.6 s), at most
# MAX_TAIL_S, ending where it has decayed TAIL_DECAY_DB below the take's own peak (as RT60
# measures a reverb), or below TAIL_FLOOR_DBFS, whichever is higher (apply_chain).
MAX_TAIL_S = 8.0
TAIL_DECAY_DB = 60.0
TAIL_FLOOR_DBFS = -90.0
TAIL_FADE_S = 0.010


class PipelineLike(Protocol):
    """The part of engine.pipeline.Pipeline the bridge calls."""

    sample_rate_hz: int
    checkpoint: Any  # `.config.flowedit`: the FlowEdit defaults the engine fills in

    def generate(self, prompt: str, duration_s: float, **kwargs: Any) -> Any: ...

    def edit(self, waveform: torch.Tensor, sample_rate_hz: int, target_prompt: str,
             source_prompt: str | None = None, **kwargs: Any) -> Any: ...


@dataclass
class StageTimings:
    """Wall seconds per stage of one job; `bridge_s` is everything but the model."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    @property
    def bridge_s(self) -> float:
        return sum(v for k, v in self.seconds.items() if k not in ("model", "chain_load"))


@dataclass(frozen=True)
class RenderResult:
    paths: tuple[Path, ...]
    timings: StageTimings


class Renderer:
    """Turns a validated job request into files in its out_dir."""

    def __init__(self, pipeline: PipelineLike, presets: PresetLibrary | None = None) -> None:
        self.pipeline = pipeline
        self.presets = presets

    def render(self, request: JobRequest, hooks: JobHooks) -> RenderResult:
        """Run one job; raises ProtocolError, Cancelled or the engine's EngineError."""
        if isinstance(request, GenerateRequest):
            return self._generate(request, hooks)
        return self._edit(request, hooks)

    def check(self, request: JobRequest) -> None:
        """What the loaded model would refuse, or what would only fail after it ran, checked
        before the job is queued (the worker hands this to the queue): an edit's FlowEdit
        settings against the checkpoint's defaults and the size of the job's output. Raises
        ProtocolError. render() checks the same again, with the out_dir, before the model runs."""
        if isinstance(request, GenerateRequest):
            self._check_generate(request, resolve_generate(request, self.presets))
        else:
            info = validation.check_audio_file(request.in_path)
            self._check_edit(request, self._resolve_edit(request), info)

    def _resolve_edit(self, request: EditRequest) -> RenderSettings:
        """resolve_edit with a preset's FlowEdit settings over the loaded model's."""
        return resolve_edit(request, self.presets, self.pipeline.checkpoint.config.flowedit)

    def _check_generate(self, request: GenerateRequest, settings: RenderSettings) -> None:
        rate = settings.sample_rate_hz or int(self.pipeline.sample_rate_hz)
        has_chain = settings.preset is not None and bool(settings.preset.effects)
        validation.check_output_size(request.duration_s, rate, settings.channels or 1,
                                     settings.variations, MAX_TAIL_S if has_chain else 0.0)

    def _check_edit(self, request: EditRequest, settings: RenderSettings,
                    info: AudioInfo) -> None:
        validation.check_flowedit(settings.sampler, self.pipeline.checkpoint.config.flowedit)
        validation.check_output_size(
            request.length_s, settings.sample_rate_hz or info.sample_rate_hz,
            settings.channels or info.num_channels, settings.variations,
        )

    def _generate(self, request: GenerateRequest, hooks: JobHooks) -> RenderResult:
        timings = StageTimings()
        # 1. Settings, out_dir and effect chain first: none of them may fail after a model run
        #    (the job may have waited in the queue while its folder went away).
        settings = resolve_generate(request, self.presets)
        self._check_generate(request, settings)
        validation.check_out_dir(request.out_dir)
        with timings.stage("chain_load"):
            chain = build_chain(settings.preset)
        # 2. The model.
        with timings.stage("model"):
            result = self.pipeline.generate(
                settings.target_prompt, request.duration_s, variations=settings.variations,
                progress=hooks.progress, should_cancel=hooks.should_cancel, **settings.sampler,
            )
        # 3. Model rate → output rate and channels.
        out_rate = settings.sample_rate_hz or int(result.sample_rate_hz)
        with timings.stage("resample"):
            takes = generated_takes(result, out_rate, settings.channels or 1)
        # 4. Effects (with their tail: nothing after a generated take to line up with), level,
        #    files.
        takes = self._finish(takes, out_rate, chain, timings, tail_s=MAX_TAIL_S)
        stem = output_stem("gen", request.prompt, request.job_id)
        paths = self._write(takes, out_rate, settings, Path(request.out_dir), stem, hooks, timings)
        return RenderResult(paths, timings)

    def _edit(self, request: EditRequest, hooks: JobHooks) -> RenderResult:
        timings = StageTimings()
        # 1. Settings, files and effect chain first: none of them may fail after a model run
        #    (the job may have waited in the queue while its files went away).
        settings = self._resolve_edit(request)
        info = validation.check_audio_file(request.in_path)
        self._check_edit(request, settings, info)
        validation.check_out_dir(request.out_dir)
        with timings.stage("chain_load"):
            chain = build_chain(settings.preset)
        # 2. Read the region; the model hears it in mono at its own rate.
        with timings.stage("read"):
            source = _read_source(info, request)
        with timings.stage("resample"):
            model_rate = int(self.pipeline.sample_rate_hz)
            model_in = model_input(source, request.length_s, model_rate)
        # 3. The model. The engine measures the range against the audio it is given, so the
        #    range's end is held inside it (length_s itself may have rounded to a sample more).
        range_s = settings.range_s
        if range_s is not None:
            range_s = (range_s[0], min(range_s[1], model_in.shape[0] / model_rate))
        with timings.stage("model"):
            result = self.pipeline.edit(
                torch.from_numpy(np.ascontiguousarray(model_in)), model_rate,
                settings.target_prompt, settings.source_prompt, range_s=range_s,
                variations=settings.variations, progress=hooks.progress,
                should_cancel=hooks.should_cancel, **settings.sampler,
            )
        # 4. Back to the source's rate and channels, levelled against the source, through the
        #    effects, spliced into the source; then the clipping guard and the files.
        with timings.stage("resample+effects"):
            takes, out_rate = edited_takes(result, source, settings, chain)
        takes = self._finish(takes, out_rate, None, timings)
        stem = output_stem("edit", settings.target_prompt, request.job_id)
        paths = self._write(takes, out_rate, settings, Path(request.out_dir), stem, hooks, timings)
        return RenderResult(paths, timings)

    def _finish(
        self, takes: list[np.ndarray], rate: int, chain: pedalboard.Pedalboard | None,
        timings: StageTimings, tail_s: float = 0.0,
    ) -> list[np.ndarray]:
        """Effects (if any, keeping up to `tail_s` of their tail: `apply_chain`), then the
        clipping guard; each take `(channels, frames)`."""
        finished = []
        for take in takes:
            with timings.stage("effects"):
                processed = take if chain is None else apply_chain(chain, take, rate, tail_s)
            with timings.stage("level"):
                try:
                    finished.append(audio_io.prevent_clipping(processed)[0])
                except AudioError as exc:
                    raise ProtocolError(ErrorCode.ENGINE_ERROR, str(exc)) from None
        return finished

    def _write(
        self, takes: list[np.ndarray], rate: int, settings: RenderSettings, out_dir: Path,
        stem: str, hooks: JobHooks, timings: StageTimings,
    ) -> tuple[Path, ...]:
        """Write every take as `<stem>_v<k>.wav`; all or nothing (earlier takes are removed if a
        later one fails). A cancel that arrives before the first write still stops the job."""
        if hooks.should_cancel():
            raise Cancelled("cancelled before the files were written")
        written: list[Path] = []
        try:
            with timings.stage("write"):
                for index, take in enumerate(takes, start=1):
                    audio = Audio(take, rate)
                    written.append(write_new_file(
                        out_dir, f"{stem}_v{index}", ".wav",
                        lambda path, a=audio: audio_io.write_wav(path, a, settings.bit_depth),
                    ))
        except OSError as exc:  # the folder went away, filled up or turned read-only
            _remove(written)
            raise ProtocolError(
                ErrorCode.BAD_PATH,
                f"the result could not be written into out_dir {str(out_dir)!r}: "
                f"{exc.strerror or exc}; no file was kept",
            ) from None
        except BaseException:
            _remove(written)
            raise
        return tuple(written)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def numpy_takes(waveforms: torch.Tensor) -> list[np.ndarray]:
    """`(variations, frames)` tensor → list of `(frames,)` float32 arrays."""
    array = waveforms.detach().to("cpu", torch.float32).numpy()
    return [np.ascontiguousarray(row) for row in array.reshape(array.shape[0], -1)]


def _read_source(info: AudioInfo, request: EditRequest) -> Audio:
    try:
        return audio_io.read_region(info, request.start_s, request.length_s)
    except AudioError as exc:
        raise ProtocolError(ErrorCode.BAD_AUDIO, str(exc)) from None


def model_input(source: Audio, length_s: float, model_rate: int) -> np.ndarray:
    """The region in mono at the model's rate, `(frames,)`, lasting at least `length_s`.

    Rounding to whole frames twice (the file's rate, then the model's) can leave it a sample
    short: 0.5 s of an 11025 Hz file is 5512 frames, 7999 at 16 kHz, under the engine's 0.5 s
    minimum. The missing sample or two are silence; the result is cut back to the region."""
    mono = audio_io.mixdown(source.samples)
    model_in = audio_io.resample(mono[None], source.sample_rate_hz, model_rate)
    frames = max(model_in.shape[1], audio_io.frames_covering(length_s, model_rate))
    return audio_io.fit_length(model_in, frames)[0]


def generated_takes(result: Any, out_rate: int, channels: int) -> list[np.ndarray]:
    """Model output → `(channels, frames)` takes at `out_rate`, the same sound in every
    channel."""
    model_rate = int(result.sample_rate_hz)
    return [audio_io.to_channels(audio_io.resample(wave[None], model_rate, out_rate)[0], channels)
            for wave in numpy_takes(result.waveforms)]


def edited_takes(
    result: Any, source: Audio, settings: RenderSettings,
    chain: pedalboard.Pedalboard | None = None,
) -> tuple[list[np.ndarray], int]:
    """Model output → `(channels, frames)` takes at the output rate, matching the source. The
    preset's effect `chain` runs on each edit before it is spliced in, so with a range the
    effects colour the edited part alone and the source's samples around it stay as they are."""
    out_rate = settings.sample_rate_hz or source.sample_rate_hz
    reference = audio_io.resample(source.samples, source.sample_rate_hz, out_rate)
    channels = settings.channels or reference.shape[0]
    if channels != reference.shape[0]:
        reference = audio_io.to_channels(audio_io.mixdown(reference), channels)
    start, end = 0, reference.shape[1]
    if settings.range_s is not None:
        start, end = (min(end, audio_io.frames_for(t, out_rate)) for t in settings.range_s)
    takes = []
    for wave in numpy_takes(result.waveforms):
        mono = audio_io.resample(wave[None], int(result.sample_rate_hz), out_rate)
        take = audio_io.to_channels(audio_io.fit_length(mono, reference.shape[1])[0], channels)
        if settings.match_loudness:
            take = take * audio_io.loudness_gain(take[:, start:end], reference[:, start:end])
        if chain is not None:
            take = apply_chain(chain, take, out_rate)
        if settings.range_s is not None:
            # The edit is kept under full scale before it is spliced in, so that the clipping
            # guard (Renderer._finish) has no cause to turn the whole file down: around the
            # range it stays the source's own samples, which a DAW splices against.
            peak = float(np.max(np.abs(take[:, start:end]), initial=0.0))
            if 1.0 < peak < math.inf:  # NaN and inf are for the guard to refuse
                take = take * (audio_io.PEAK_CEILING / peak)
            fade = audio_io.frames_for(audio_io.CROSSFADE_S, out_rate)
            take = audio_io.splice(reference, take, start, end, fade)
        takes.append(take.astype(np.float32))
    return takes, out_rate


def apply_chain(
    chain: pedalboard.Pedalboard, take: np.ndarray, rate: int, tail_s: float = 0.0
) -> np.ndarray:
    """Run the effect chain over one take `(channels, frames)`.

    `tail_s` 0 (an edit, which must line up with its source): the output keeps the take's
    length and effect tails are cut. `tail_s` > 0 (a generated take): the effects also run over
    `tail_s` seconds of silence after the take, and what they ring on there (a reverb's tail)
    is kept up to where it stays TAIL_DECAY_DB below the take's peak (or below
    TAIL_FLOOR_DBFS); a tail still sounding at `tail_s` is faded out over its last TAIL_FADE_S.
    """
    frames = take.shape[1]
    padded = np.pad(take, ((0, 0), (0, round(tail_s * rate)))) if tail_s > 0 else take
    try:
        processed = chain(padded, float(rate))
    except Exception as exc:  # a third-party plug-in may raise anything
        raise ProtocolError(ErrorCode.PLUGIN_ERROR, f"effect chain failed: {exc}") from None
    processed = audio_io.fit_length(np.asarray(processed, np.float32), padded.shape[1])
    return _keep_tail(processed, frames, rate) if tail_s > 0 else processed


def _keep_tail(samples: np.ndarray, frames: int, rate: int) -> np.ndarray:
    """`samples` `(channels, frames + tail)` → the take and the part of its tail that sounds."""
    peak = float(np.max(np.abs(samples[:, :frames]), initial=0.0))
    floor = max(peak * 10.0 ** (-TAIL_DECAY_DB / 20.0), 10.0 ** (TAIL_FLOOR_DBFS / 20.0))
    sounding = np.flatnonzero(np.abs(samples[:, frames:]).max(axis=0) > floor)
    end = frames + (int(sounding[-1]) + 1 if sounding.size else 0)
    kept = samples[:, :end].copy()
    if end == samples.shape[1]:  # still sounding where the padding ends: no click at the cut
        fade = min(round(TAIL_FADE_S * rate), end - frames)
        kept[:, end - fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return kept
