"""``sa build-default``: the whole default model from nothing, step by step, resumable.

corpus → codec (→ its sine bank) → semantic encoder and text towers → feature cache → stage 1
→ stage 2 (→ Base, for the benchmark) → export → guidance (chosen on validation captions) → quality
(the evaluator's scores on held-out prompts).
Each finished step is recorded in ``build_log.json`` with its timing, the device it ran on and
what it measured;
running the same command again skips the finished steps (an interrupted step resumes from its
last checkpoint). A step that runs again (its entry deleted from the log) makes every step after
it run again as well, since they were made from its earlier output; their earlier records move
to the log's ``superseded`` list.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from semanticaudio.engine.devices import describe_device
from semanticaudio.engine.recipes import steps
from semanticaudio.engine.recipes.guidance import guidance_step
from semanticaudio.engine.recipes.layout import BuildLayout
from semanticaudio.engine.recipes.profiles import BuildProfile, get_profile
from semanticaudio.engine.recipes.quality import quality_step

LOG_FORMAT_VERSION = 1
STEPS = (
    ("corpus", steps.corpus_step),
    ("codec", steps.codec_step),
    ("sine_bank", steps.sine_bank_step),
    ("semantic", steps.semantic_step),
    ("cache", steps.cache_step),
    ("stage1", steps.train_step("stage1")),
    ("stage2", steps.train_step("stage2")),
    ("base", steps.train_step("base")),
    ("export", steps.export_step),
    ("guidance", guidance_step),
    ("quality", quality_step),
)
STEP_NAMES = tuple(name for name, _ in STEPS)


@dataclass(frozen=True)
class BuildRequest:
    """out_dir: the build folder; until: stop after this step (None: build everything)."""

    out_dir: Path
    profile: str
    device: str = "auto"
    progress: bool = True
    until: str | None = None

    def __post_init__(self) -> None:
        if self.until is not None and self.until not in STEP_NAMES:
            raise ValueError(f"until must be one of {STEP_NAMES}, got {self.until!r}")


@dataclass(frozen=True)
class BuildResult:
    """checkpoint: the exported default model, or None while the export has not run."""

    out_dir: Path
    checkpoint: Path | None
    log_path: Path
    ran: tuple[str, ...]
    skipped: tuple[str, ...]


def build_default(request: BuildRequest) -> BuildResult:
    """Run the steps of ``request.profile`` that are not finished yet (see the module doc)."""
    from tqdm import tqdm

    profile = get_profile(request.profile)
    if request.until is not None and request.until not in planned_steps(profile):
        # Otherwise the loop below never meets it and the whole build runs.
        raise ValueError(f"profile {profile.name!r} has no step {request.until!r}; --until "
                         f"accepts its steps: {', '.join(planned_steps(profile))}")
    layout = BuildLayout(Path(request.out_dir))
    layout.root.mkdir(parents=True, exist_ok=True)
    log = _open_log(layout, profile)
    device = _resolve_device(request.device)
    planned = [(n, f) for n, f in STEPS if n in planned_steps(profile)]
    ran, skipped = [], []
    with tqdm(planned, desc=f"build-default ({profile.name})", unit="step",
              disable=not request.progress) as bar:
        for index, (name, function) in enumerate(bar):
            if name in log["steps"]:
                skipped.append(name)
            else:
                bar.set_postfix_str(name)
                _supersede(log, name, [later for later, _ in planned[index + 1:]])
                _write_log(layout, log)
                log["steps"][name] = _timed(function, profile, layout, device, request.progress)
                _write_log(layout, log)
                ran.append(name)
            if name == request.until:
                break
    checkpoint = layout.model if "export" in log["steps"] else None
    return BuildResult(layout.root, checkpoint, layout.log, tuple(ran), tuple(skipped))


def _supersede(log: dict, name: str, later: list[str]) -> None:
    """Step ``name`` runs (again): the finished steps after it used its old output, so they
    must run again too; their records move to ``superseded``."""
    for step in later:
        if step in log["steps"]:
            log.setdefault("superseded", []).append(
                {"step": step, "because_rerun": name, **log["steps"].pop(step)})


def planned_steps(profile: BuildProfile) -> tuple[str, ...]:
    """The steps a build of ``profile`` runs, in order (Base and the sine bank only where the
    profile has them)."""
    optional = {"base": profile.train_base, "sine_bank": profile.sine_bank is not None}
    return tuple(name for name in STEP_NAMES if optional.get(name, True))


def _timed(function, profile: BuildProfile, layout: BuildLayout, device: str,
           progress: bool) -> dict:
    start = time.perf_counter()
    details = function(profile, layout, device, progress)
    finished = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return {"seconds": round(time.perf_counter() - start, 1), "finished_at": finished,
            "device": describe_device(device), **details}


def _open_log(layout: BuildLayout, profile: BuildProfile) -> dict:
    """The build log, new or read back; a folder built with another profile, or holding build
    outputs without a log, is refused.
    ``settings`` are always the profile's as it is now; if they changed since the log was
    written, the old ones go to ``earlier_settings`` with the steps that were finished under
    them (delete a step from the log to rebuild it, and the steps after it, under the new
    settings)."""
    settings = profile_settings(profile)
    if layout.log.is_file():
        log = json.loads(layout.log.read_text(encoding="utf-8"))
        if log.get("profile") != profile.name:
            raise ValueError(
                f"{layout.root} holds a build of profile {log.get('profile')!r}, not "
                f"{profile.name!r}; choose another --out folder"
            )
        if log.get("settings") != settings:
            log.setdefault("earlier_settings", []).append(
                {"settings": log.get("settings"), "steps_finished": list(log["steps"])})
            log["settings"] = settings
            _write_log(layout, log)
        return log
    leftovers = [path.name for path in layout.outputs() if path.exists()]
    if leftovers:  # its steps would resume or reuse them, whatever profile or seed made them
        raise ValueError(
            f"{layout.root} holds build outputs ({', '.join(leftovers)}) but no {layout.log.name}"
            ", so nothing says which profile made them; choose an empty --out folder, or delete "
            "those to build there"
        )
    log = {"format_version": LOG_FORMAT_VERSION, "profile": profile.name,
           "settings": settings, "machine": _machine(), "steps": {}}
    _write_log(layout, log)
    return log


def profile_settings(profile: BuildProfile) -> dict:
    """The profile's settings as ``build_log.json`` records them (tuples as JSON lists)."""
    return json.loads(json.dumps(asdict(profile)))


def _write_log(layout: BuildLayout, log: dict) -> None:
    from semanticaudio.engine.features.files import write_json_atomic

    log["total_seconds"] = round(sum(s["seconds"] for s in log["steps"].values()), 1)
    write_json_atomic(layout.log, log)


def _machine() -> dict:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"platform": platform.platform(), "processor": platform.processor(),
            "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(), "gpu": gpu,
            "torch": torch.__version__}


def _resolve_device(device: str) -> str:
    """'auto' → 'cuda' when present, else 'cpu'; other names as given (checked by torch)."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return str(torch.device(device))
