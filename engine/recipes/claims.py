"""The micro-benchmark of the paper's two claims, at the default model's scale (issue 4, item 5).

Claim 1, generation: two-stage models (text → semantic plan → acoustic latent) align better with
the text than the single-stage Base model (text → acoustic latent). Compared on held-out captions
(never in any train split): the two-stage model at the profile's d, a two-stage model at another
d, and a Base model of the same total size (one DiT twice as deep as each stage's) trained for
the mean of the two stages' steps on the same batches, so that it gets the same compute. Scores
from the independent evaluator: event F1, order accuracy, text-audio similarity, and the
Fréchet distance between the evaluator's embeddings of the generated clips and of the held-out
recordings.

Claim 2, editing: FlowEdit in the semantic space (the two-stage model) against FlowEdit in the
acoustic space (the Base model) against the untouched source. Each held-out recording gets a
target caption that swaps the class of one of its events; scored: similarity to the target
caption, its gain over the source, and how many of the events that the edit should keep are
still detected.

The two-stage model at the profile's d is the build's own (``runs/stage1``, ``runs/stage2``); the
other variants train under the benchmark's folder with ``sa train`` and resume when interrupted.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from semanticaudio.engine.config import ModelConfig
from semanticaudio.engine.recipes.layout import BuildLayout
from semanticaudio.engine.recipes.profiles import SAMPLE_RATE_HZ, BuildProfile

CLAIMS_FORMAT_VERSION = 1
PAPER_SEMANTIC_DIM = 128  # the paper's d
SMALL_SEMANTIC_DIM = 32  # the other d compared when a profile uses the paper's


@dataclass(frozen=True)
class ClaimsSettings:
    """other_dim: the second two-stage model's d (None: the paper's 128, or 32 where the
    profile already uses 128); prompts / edits: how many held-out captions are generated and
    how many held-out recordings are edited; seed: generation and edit seeds start here
    (clip k uses seed + k)."""

    other_dim: int | None = None
    prompts: int = 64
    edits: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("other_dim", "prompts", "edits"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class Variant:
    """One model of the benchmark: its name, profile (sizes, steps) and the stages it trains."""

    name: str
    profile: BuildProfile
    stages: tuple[str, ...]
    from_build: bool = False  # the build's own runs and exported model (nothing to train)

    @property
    def two_stage(self) -> bool:
        return self.stages != ("base",)


def variants(profile: BuildProfile, settings: ClaimsSettings,
             template: ModelConfig) -> tuple[Variant, ...]:
    """The profile's two-stage model, one at ``settings.other_dim``, and the Base model: same
    width, as deep as makes its size closest to the two-stage model's, trained on the same
    batches for the mean of the two stages' steps (the same compute). ``template``: the
    build's model configuration (its latent and text sizes)."""
    flow = profile.flow
    other_dim = settings.other_dim or (
        PAPER_SEMANTIC_DIM if flow.semantic_dim != PAPER_SEMANTIC_DIM else SMALL_SEMANTIC_DIM)
    if other_dim == flow.semantic_dim:
        raise ValueError(f"other_dim must differ from the profile's d = {flow.semantic_dim}")
    other = replace(profile, flow=replace(flow, semantic_dim=other_dim))
    deep = replace(flow.backbone, depth=matched_base_depth(template))
    # one Base step costs about what one step of each stage costs together (it is about as
    # large as both DiTs), so the mean of the stages' steps matches their training compute
    steps = round((flow.stage1_steps + flow.stage2_steps) / 2)
    base = replace(profile, flow=replace(flow, backbone=deep, base_steps=steps))
    return (Variant(f"two_stage_d{flow.semantic_dim}", profile, ("stage1", "stage2"), True),
            Variant(f"two_stage_d{other_dim}", other, ("stage1", "stage2")),
            Variant("base", base, ("base",)))


def matched_base_depth(two_stage: ModelConfig) -> int:
    """The Base depth (same width) whose parameter count is closest to ``two_stage``'s."""
    size = parameter_count(two_stage)
    depths = range(1, 4 * two_stage.backbone.depth + 1)
    return min(depths, key=lambda depth: abs(size - parameter_count(replace(
        two_stage, model_type="base", backbone=replace(two_stage.backbone, depth=depth)))))


def parameter_count(config: ModelConfig) -> int:
    """Parameters of the model ``config`` describes (built on the meta device: no memory)."""
    from semanticaudio.engine.models.semantic_audio import SemanticAudioModel

    with torch.device("meta"):
        return sum(p.numel() for p in SemanticAudioModel(config).parameters())


def train_variant(variant: Variant, build: BuildLayout, out_dir: Path, device: str) -> Path:
    """Train (or resume, or reuse) ``variant`` → its exported checkpoint folder."""
    from semanticaudio.engine.corpus import single_event_records
    from semanticaudio.engine.features.files import write_json_atomic
    from semanticaudio.engine.recipes.guidance import choose_guidance, write_guidance
    from semanticaudio.engine.recipes.steps import export_runs, train_stage

    if variant.from_build:
        return build.model
    folder = out_dir / "runs" / variant.name
    for stage in variant.stages:  # a finished run resumes at its last step and stops at once
        head_from = folder / "stage1" if stage == "stage2" else None
        train_stage(variant.profile, stage, build.cache, folder / stage,
                    folder / f"{stage}.toml", device, head_from)
    model = out_dir / "models" / variant.name
    chosen = folder / "guidance.json"  # this variant's guidance, chosen like the build's
    if not (model / "config.json").is_file():
        export_runs([folder / stage for stage in reversed(variant.stages)], model, variant.name)
        chosen.unlink(missing_ok=True)
    if chosen.is_file():
        return model
    records = single_event_records(build.corpus, "validation", variant.profile.guidance_prompts)
    if records:  # no single-event validation clip: the checkpoint keeps its defaults
        choice = choose_guidance(model, records, variant.profile.clip_duration_s, device,
                                 progress=False)
        write_guidance(model, choice)
        write_json_atomic(chosen, choice.to_json())
    return model


@dataclass(frozen=True)
class EditCase:
    """One edit: a held-out recording, its caption, the target caption (one event's class
    swapped), and the classes the edit should keep."""

    audio_path: Path
    source_caption: str
    target_caption: str
    kept: tuple[str, ...]


def edit_cases(records, count: int, seed: int) -> list[EditCase]:
    """``count`` edits of held-out ``records``: in each, every event of one randomly chosen
    class becomes another random class (onsets, lengths and attributes stay)."""
    from semanticaudio.engine.corpus import CLASS_NAMES
    from semanticaudio.engine.corpus.captions import caption_for

    rng = np.random.default_rng(seed)
    cases = []
    for record in records[:count]:
        labels = sorted({event.label for event in record.spec.events})
        old = labels[int(rng.integers(len(labels)))]
        choices = [name for name in CLASS_NAMES if name not in labels]
        new = choices[int(rng.integers(len(choices)))]
        events = [replace(event, label=new) if event.label == old else event
                  for event in record.spec.events]
        cases.append(EditCase(record.audio_path, record.caption, caption_for(events, rng),
                              tuple(label for label in labels if label != old)))
    return cases


def score_generation(pipeline, detector, records, duration_s: float, seed: int,
                     progress: bool) -> dict:
    """Generate one clip per held-out caption; the evaluator's scores on all of them and on the
    single-event ones, and the Fréchet distance to the held-out recordings."""
    from semanticaudio.engine.evaluation.scoring import evaluate_audio, frechet_audio_distance
    from semanticaudio.engine.recipes.quality import corpus_audio, generate_clips

    captions = [record.caption for record in records]
    generated = generate_clips(pipeline, captions, duration_s, progress, seed)
    rate = pipeline.sample_rate_hz
    single = [k for k, record in enumerate(records) if len(record.spec.events) == 1]
    return {
        "all": evaluate_audio(detector, generated, rate, captions).to_json(),
        "single_event": evaluate_audio(detector, generated[single], rate,
                                       [captions[k] for k in single]).to_json()
        if single else None,
        "frechet_distance": frechet_audio_distance(detector, generated, corpus_audio(records),
                                                   rate)
        if len(records) >= 2 else None,  # a covariance needs two clips
    }


def score_edits(pipeline, detector, cases: list[EditCase], seed: int, progress: bool) -> dict:
    """FlowEdit each case's recording to its target (``pipeline`` None: leave it untouched) and
    score the result against the target caption (see the module doc)."""
    from semanticaudio.engine.evaluation.scoring import evaluate_audio
    from semanticaudio.engine.recipes.quality import corpus_audio
    from tqdm import tqdm

    sources = corpus_audio(cases)
    rate = SAMPLE_RATE_HZ  # the corpus's; edits come back at their input's rate
    outputs = sources if pipeline is None else torch.stack([
        pipeline.edit(sources[k], rate, case.target_caption, case.source_caption,
                      seed=seed + k).waveforms[0]
        for k, case in enumerate(tqdm(cases, desc="edit", unit="clip", disable=not progress))])
    targets = [case.target_caption for case in cases]
    edited = evaluate_audio(detector, outputs, rate, targets)
    before = evaluate_audio(detector, sources, rate, targets)
    kept = [len(set(case.kept) & set(clip.detected)) / len(case.kept)
            for case, clip in zip(cases, edited.clips, strict=True) if case.kept]
    return {
        "target_similarity": edited.similarity,
        "similarity_gain": edited.similarity - before.similarity,
        "target_event_f1": edited.event_f1,
        "kept_recall": float(np.mean(kept)) if kept else None,
        "clips_with_kept_events": len(kept),
    }


def run_claims(build_dir: Path, out_dir: Path, settings: ClaimsSettings, device: str = "cpu",
               progress: bool = True) -> dict:
    """Train what is missing, score every variant, write ``out_dir/claims.json`` → its record."""
    import datetime

    from semanticaudio.engine.checkpoint import read_config
    from semanticaudio.engine.corpus import read_timelines, timelines_path
    from semanticaudio.engine.evaluation.detector import default_detector_dir, load_detector
    from semanticaudio.engine.features.files import write_json_atomic
    from semanticaudio.engine.pipeline import load_pipeline
    from semanticaudio.engine.recipes.profiles import get_profile

    build = BuildLayout(Path(build_dir))
    if not (build.model / "config.json").is_file():
        raise FileNotFoundError(f"{build.model} has no model: finish `sa build-default` first")
    profile = get_profile(json.loads(build.log.read_text())["profile"])
    heldout = read_timelines(timelines_path(build.corpus, "heldout"))
    detector = load_detector(default_detector_dir())
    cases = edit_cases(heldout, settings.edits, settings.seed)
    record = {"format_version": CLAIMS_FORMAT_VERSION, "profile": profile.name,
              "settings": asdict(settings), "started": datetime.datetime.now().isoformat(),
              "generation": {}, "editing": {"untouched_source": score_edits(
                  None, detector, cases, settings.seed, progress)}, "models": {}}
    template = read_config(build.model).model
    for variant in variants(profile, settings, template):
        pipeline = load_pipeline(train_variant(variant, build, Path(out_dir), device), device)
        record["models"][variant.name] = _describe(variant, pipeline)
        record["generation"][variant.name] = score_generation(
            pipeline, detector, heldout[: settings.prompts], profile.clip_duration_s,
            settings.seed, progress)
        if variant.from_build or not variant.two_stage:
            space = "semantic" if variant.two_stage else "acoustic"
            record["editing"][f"{space}_flowedit"] = score_edits(
                pipeline, detector, cases, settings.seed, progress) | {"model": variant.name}
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    write_json_atomic(Path(out_dir) / "claims.json", record)
    return record


def _describe(variant: Variant, pipeline) -> dict:
    flow = variant.profile.flow
    model = pipeline.model
    return {"stages": list(variant.stages), "semantic_dim": flow.semantic_dim if
            variant.two_stage else None, "depth": flow.backbone.depth,
            "width": flow.backbone.width,
            "steps_per_stage": {stage: flow.steps(stage) for stage in variant.stages},
            "batch_size": flow.batch_size,
            "guidance": asdict(pipeline.checkpoint.config.sampling),
            "dit_parameters": sum(p.numel() for p in model.parameters())}


def markdown_tables(record: dict) -> str:
    """The record's two tables (generation, editing) in Markdown, numbers to 3 places."""
    lines = ["| model | event F1 (all) | event F1 (single event) | order accuracy | similarity "
             "| Fréchet distance | DiT parameters |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, scores in record["generation"].items():
        every = scores["all"]
        single = (scores["single_event"] or {}).get("event_f1")
        lines.append(f"| {name} | {_n(every['event_f1'])} | {_n(single)} | "
                     f"{_n(every['order_accuracy'])} | {_n(every['similarity'])} | "
                     f"{_n(scores['frechet_distance'])} | "
                     f"{record['models'][name]['dit_parameters']:,} |")
    lines += ["", "| edit | target similarity | gain over source | target event F1 "
              "| kept events detected |", "| --- | --- | --- | --- | --- |"]
    for name, scores in record["editing"].items():
        lines.append(f"| {name} | {_n(scores['target_similarity'])} | "
                     f"{_n(scores['similarity_gain'])} | {_n(scores['target_event_f1'])} | "
                     f"{_n(scores['kept_recall'])} |")
    return "\n".join(lines) + "\n"


def _n(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
