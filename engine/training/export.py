"""``sa export``: trained run(s) → an inference checkpoint folder for ``sa generate`` and
``sa-engine``.

A SemanticAudio model comes from its stage-2 run, which holds the whole model: the planner it
trained plus the head and synthesizer it took from stage 1 (with the semantic statistics folded
in). Naming the stage-1 run as well is allowed and checked against the stage-2 run's record. A
Base model comes from its base run. The components are the ones the training cache was made
with; ``save_checkpoint`` copies them into the checkpoint, so it is self-contained.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from semanticaudio.engine.checkpoint import Checkpoint, save_checkpoint
from semanticaudio.engine.config import CheckpointConfig
from semanticaudio.engine.features.components import component_digests, load_components
from semanticaudio.engine.features.files import check_replaceable
from semanticaudio.engine.models.semantic_audio import SemanticAudioModel
from semanticaudio.engine.training.run import RunError, RunInfo, final_weights, read_run_info


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    model_type: str
    step: int
    used_ema: bool


def export_runs(
    run_dirs: list[Path], out_dir: Path, *, use_ema: bool = True, name: str | None = None
) -> ExportResult:
    """Write the checkpoint of ``run_dirs`` (a stage-2 run, optionally with its stage-1 run, or
    a base run) as ``out_dir`` (replaced as a whole, see ``save_checkpoint``)."""
    check_replaceable(Path(out_dir))  # before the work, not after it
    # 1. Find the run that holds the whole model.
    runs = {Path(d).resolve(): read_run_info(d) for d in run_dirs}
    final_dir, info = _final_run(runs)
    # 2. Its latest weights (EMA averages when the run kept them and they are wanted).
    model = SemanticAudioModel(info.model)
    weights, step = final_weights(final_dir, use_ema)
    model.load_state_dict(weights)
    used_ema = use_ema and info.config.training.ema_decay > 0
    # 3. The components the training cache was made with (their files unchanged since).
    _check_component_files(info)
    components = load_components(info.cache.components)
    # 4. Save as a checkpoint folder.
    config = CheckpointConfig(model=info.model, name=name or final_dir.name)
    folder = save_checkpoint(out_dir, Checkpoint(config, model.eval(), components))
    return ExportResult(folder, info.model.model_type, step, used_ema)


def _final_run(runs: dict[Path, RunInfo]) -> tuple[Path, RunInfo]:
    by_stage: dict[str, list[Path]] = {}
    for folder, info in runs.items():
        by_stage.setdefault(info.stage, []).append(folder)
    if any(len(folders) > 1 for folders in by_stage.values()):
        raise RunError(f"name at most one run per stage, got {_describe(by_stage)}")
    if "base" in by_stage:
        if len(by_stage) > 1:
            raise RunError(f"a base run exports on its own, got {_describe(by_stage)}")
        return by_stage["base"][0], runs[by_stage["base"][0]]
    if "stage2" not in by_stage:
        raise RunError(
            "a stage-1 run holds no planner: train stage 2 on top of it "
            "(`sa train stage2 --head-from STAGE1_RUN ...`) and export the stage-2 run"
        )
    final = by_stage["stage2"][0]
    recorded = runs[final].head_from
    for stage1 in by_stage.get("stage1", []):
        if recorded is None or Path(recorded).resolve() != stage1:
            raise RunError(
                f"{final} was trained on the head of {recorded}, not of {stage1}; "
                "name the matching stage-1 run or just the stage-2 run"
            )
    return final, runs[final]


def _check_component_files(info: RunInfo) -> None:
    """The components' files must still be those the cache was made with: a model is useless
    with an encoder or codec other than the one it learned on."""
    recorded = info.cache.component_digests
    if not recorded:  # a run from before the cache kept digests
        return
    current = component_digests(info.cache.components)
    changed = [role for role, digest in current.items() if recorded.get(role) != digest]
    if changed:
        paths = ", ".join(f"{role}: {info.cache.components[role]['path']}" for role in changed)
        raise RunError(
            f"the files of {paths} changed since the cache {info.cache.path} was made; the model "
            "was trained on the earlier ones: put those back (or cache the data and train again "
            "with the new ones)"
        )


def _describe(by_stage: dict[str, list[Path]]) -> str:
    parts = [f"{stage}: {', '.join(map(str, folders))}" for stage, folders in by_stage.items()]
    return "; ".join(parts)
