"""The training loop shared by the three stages, on one process or many (DDP).

``train(TrainRequest(...))`` reads only the feature cache. It writes a run folder (see
``run.py``): checkpoints every ``checkpoint_every`` steps from which ``resume=True`` continues
bit for bit, a loss log, and ``run.json`` for ``sa export``.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from semanticaudio.engine.checkpoint import load_weights
from semanticaudio.engine.config import to_dict
from semanticaudio.engine.features.files import load_safetensors, save_safetensors_atomic
from semanticaudio.engine.features.reader import FeatureBatch, FeatureCache, collate_clips
from semanticaudio.engine.training import distributed as dist_utils
from semanticaudio.engine.training import state as ckpt
from semanticaudio.engine.training.config import (
    RESUMABLE_CHANGES,
    STAGES,
    UNUSED_BY_STAGE,
    TrainConfig,
)
from semanticaudio.engine.training.data_order import DataOrder, StepBatchSampler
from semanticaudio.engine.training.distributed import DistributedContext
from semanticaudio.engine.training.ema import ExponentialMovingAverage
from semanticaudio.engine.training.loss_log import LossLog
from semanticaudio.engine.training.objectives import StageObjective, freeze_for_stage
from semanticaudio.engine.training.run import (
    EMA_FILE,
    MODEL_FILE,
    RUN_FILE,
    CacheRef,
    RunError,
    RunInfo,
    checkpoint_dir,
    list_checkpoints,
    read_run_info,
    write_run_info,
)
from semanticaudio.engine.training.schedule import learning_rate_factor
from semanticaudio.engine.training.setup import fresh_model, model_config_for, stage2_model


@dataclass(frozen=True)
class TrainRequest:
    stage: str
    config: TrainConfig
    data_dir: Path
    out_dir: Path
    resume: bool = False
    head_from: Path | None = None  # stage 2; default: the config's [stage2] head_from
    device: str = "auto"
    until_step: int | None = None  # stop (with a checkpoint) here; the schedule is unchanged
    progress: bool = True


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    step: int
    checkpoint: Path | None
    mean_loss: float | None  # over this call's steps, averaged over processes


def train(request: TrainRequest) -> TrainResult:
    """Train one stage (see ``objectives.py``) from the cache in ``request.data_dir``."""
    if request.stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {request.stage!r}")
    context = dist_utils.init_distributed(request.device)
    trainer = None
    try:
        trainer = Trainer.start(request, context)
        result = trainer.run(trainer.stop_step(request.until_step))
        dist_utils.barrier(context)  # every process is done with the group before it goes
        return result
    finally:
        # Drop the DDP wrapper (and its reducer threads) before the process group: destroying
        # the group first made a process abort at exit ("terminate called without an active
        # exception") about one run in six under gloo.
        del trainer
        gc.collect()
        dist_utils.shutdown_distributed(context)


class Trainer:
    """Holds the model, optimizer, EMA and RNG of one process; ``run`` advances them."""

    def __init__(self, request: TrainRequest, context: DistributedContext, cache: FeatureCache,
                 info: RunInfo, model: torch.nn.Module) -> None:
        self.request, self.context, self.cache, self.info = request, context, cache, info
        self.config = info.config
        self.run_dir = request.out_dir
        self.model = model
        self.parameters = freeze_for_stage(model, request.stage)
        opt = self.config.optimizer
        self.optimizer = torch.optim.AdamW(
            list(self.parameters.values()), lr=opt.learning_rate, betas=opt.betas,
            weight_decay=opt.weight_decay, eps=opt.eps,
        )
        decay = self.config.training.ema_decay
        self.ema = ExponentialMovingAverage(self.parameters, decay) if decay > 0 else None
        self.generator = torch.Generator().manual_seed(
            self.config.training.seed * 7919 + context.rank  # noise differs between processes
        )
        objective = StageObjective(model, request.stage, self.config.training.cfg_dropout,
                                   self.generator)
        self.objective = _wrap_ddp(objective, context)
        self.order = _data_order(self.config, len(cache), context)
        self.step = 0
        self.amp = _autocast_dtype(self.config.training.precision, context.device)

    # ----------------------------------------------------------------- start-up
    @classmethod
    def start(cls, request: TrainRequest, context: DistributedContext) -> Trainer:
        """Open (or resume) the run folder and build everything in this process."""
        cache = FeatureCache(request.data_dir)
        info, resume_from = _open_run(request, context, cache)
        if resume_from is not None:
            model = _model_from_checkpoint(info, resume_from, context.device)
        elif request.stage == "stage2":
            if not info.head_from:
                raise RunError("stage2 trains the planner on the frozen stage-1 head: pass "
                               "--head-from STAGE1_RUN_DIR (or set [stage2] head_from)")
            model = stage2_model(info.config, cache, Path(info.head_from), context.device)
        else:
            model = fresh_model(request.stage, info.config, cache, context.device)
        trainer = cls(request, context, cache, info, model)
        if resume_from is not None:
            trainer._restore(resume_from)
        return trainer

    def stop_step(self, until_step: int | None) -> int:
        total = self.config.schedule.total_steps
        if until_step is not None and not 0 < until_step <= total:
            raise ValueError(f"--until-step must be in 1 … {total} (total_steps), got {until_step}")
        return total if until_step is None else until_step

    def _restore(self, folder: Path) -> None:
        document = ckpt.read_state(folder)
        if document["world_size"] != self.context.world_size:
            raise RunError(
                f"{folder} was written by {document['world_size']} processes; resume with the "
                f"same number (got {self.context.world_size}) so that the data order continues"
            )
        ckpt.load_optimizer(folder, self.optimizer, document["optimizer"])
        if self.ema is not None:

            self.ema.load_state_dict(load_safetensors(folder / EMA_FILE))
        ckpt.load_rng(folder, self.context.rank, self.generator)
        self.step = int(document["step"])

    # --------------------------------------------------------------------- loop
    def run(self, stop_step: int) -> TrainResult:
        """Train from the current step up to ``stop_step``, logging and checkpointing."""
        from tqdm import tqdm

        log = LossLog(self.run_dir, self.config.training.tensorboard, self.step) \
            if self.context.is_main else None
        window, overall = _LossWindow(), _LossWindow()
        saved = None
        show = self.context.is_main and self.request.progress
        with tqdm(total=stop_step, initial=self.step, desc=self.request.stage, unit="step",
                  disable=not show) as bar:
            for batch in self._loader(stop_step):
                loss, grad_norm = self._train_step(batch.to(self.context.device))
                self.step += 1
                window.add(loss, batch.batch_size)
                overall.add(loss, batch.batch_size)
                if self.step % self.config.training.log_every == 0 or self.step == stop_step:
                    mean = self._log(log, window, grad_norm)
                    bar.set_postfix(loss=f"{mean:.4f}")
                if self.step % self.config.training.checkpoint_every == 0 or (
                    self.step == stop_step
                ):
                    saved = self._save()
                bar.update(1)
        if log is not None:
            log.close()
        mean_loss = overall.mean(self.context) if overall.steps else None
        return TrainResult(self.run_dir, self.step, saved, mean_loss)

    def _loader(self, stop_step: int) -> torch.utils.data.DataLoader:
        return torch.utils.data.DataLoader(
            self.cache,
            batch_sampler=StepBatchSampler(self.order, self.step, stop_step),
            num_workers=self.config.batch.num_workers,
            collate_fn=collate_clips,
            pin_memory=self.context.device.type == "cuda",
            # its own generator for the workers' seeds, so that the global RNG (saved in
            # checkpoints) is not consumed by starting a loader
            generator=torch.Generator().manual_seed(self.step),
        )

    def _train_step(self, batch: FeatureBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """One optimizer step (gradients accumulated over micro-batches). → (loss, grad norm)."""
        learning_rate = self.config.optimizer.learning_rate * learning_rate_factor(
            self.step, self.config.schedule
        )
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        self.optimizer.zero_grad(set_to_none=True)
        size = self.config.batch.micro_batch_size or batch.batch_size
        parts = batch.split(size)
        # Each part's loss is a mean over its real frames; weighted by its share of the real
        # frames of the whole step (every process's, as DDP then averages the gradients), the
        # sum is the mean over every real frame, whatever the micro-batching and the sharding.
        frames = batch.frame_mask.sum(dim=1).tolist()  # real frames per clip (one sync)
        mean_frames = dist_utils.all_reduce_mean(float(sum(frames)), self.context)
        total = torch.zeros((), device=self.context.device)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            share = sum(frames[i * size : (i + 1) * size]) / mean_frames  # × processes / all
            with self._no_sync(last), self._autocast():
                loss = self.objective(part) * share
                loss.backward()
            total += loss.detach().float()
        clip = self.config.optimizer.grad_clip_norm or float("inf")
        grad_norm = torch.nn.utils.clip_grad_norm_(list(self.parameters.values()), clip)
        self.optimizer.step()
        if self.ema is not None:
            self.ema.update()
        return total, grad_norm

    def _no_sync(self, last: bool) -> contextlib.AbstractContextManager:
        if last or not self.context.is_distributed:
            return contextlib.nullcontext()
        return self.objective.no_sync()

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.amp is None:
            return contextlib.nullcontext()
        return torch.autocast(self.context.device.type, dtype=self.amp)

    def _log(self, log: LossLog | None, window: _LossWindow, grad_norm: torch.Tensor) -> float:
        mean = window.mean(self.context)
        elapsed = window.elapsed_s()
        clips = window.clips * self.context.world_size
        if log is not None:
            log.write({
                "step": self.step,
                "loss": mean,
                "learning_rate": self.optimizer.param_groups[0]["lr"],
                "grad_norm": float(grad_norm),
                "clips_per_s": clips / max(elapsed, 1e-9),
                "elapsed_s": elapsed,
            })
        window.reset()
        return mean

    # -------------------------------------------------------------- checkpoints
    def _save(self) -> Path:
        """Write a checkpoint of this step (every process writes its RNG states)."""
        digests = dist_utils.gather_digests(_parameter_digest(self.model), self.context)
        if len(set(digests)) > 1:
            raise RuntimeError(f"the model replicas diverged at step {self.step}: {digests}")
        folder = checkpoint_dir(self.run_dir, self.step)
        partial = folder.with_name(folder.name + ".partial")
        if self.context.is_main:
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
        dist_utils.barrier(self.context)
        ckpt.save_rng(partial, self.context.rank, self.generator)
        dist_utils.barrier(self.context)
        if self.context.is_main:
            self._write_checkpoint(partial, digests)
            shutil.rmtree(folder, ignore_errors=True)
            partial.rename(folder)
            self._prune()
        dist_utils.barrier(self.context)
        return folder

    def _write_checkpoint(self, folder: Path, digests: list[str]) -> None:
        save_safetensors_atomic(folder / MODEL_FILE, self.model.state_dict())
        if self.ema is not None:
            save_safetensors_atomic(folder / EMA_FILE, self.ema.state_dict())
        epoch, batch = self.order.position(self.step)
        ckpt.write_state(folder, {
            "step": self.step,
            "epoch": epoch,
            "batch_in_epoch": batch,
            "world_size": self.context.world_size,
            "learning_rate": self.optimizer.param_groups[0]["lr"],
            "optimizer": ckpt.save_optimizer(folder, self.optimizer),
            "replica_digests": digests,
        })

    def _prune(self) -> None:
        finished = list_checkpoints(self.run_dir)
        for _, old in finished[: -self.config.training.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)


class _LossWindow:
    """Loss sums kept on the device (no sync per step) until a log line needs them."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total, self.steps, self.clips, self.started = 0.0, 0, 0, time.perf_counter()

    def add(self, loss: torch.Tensor, clips: int) -> None:
        self.total = self.total + loss
        self.steps += 1
        self.clips += clips

    def mean(self, context: DistributedContext) -> float:
        return dist_utils.all_reduce_mean(float(self.total) / max(self.steps, 1), context)

    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started


def _open_run(request: TrainRequest, context: DistributedContext, cache: FeatureCache):
    """→ (RunInfo, checkpoint folder to resume from or None); writes run.json for a new run."""
    run_dir = request.out_dir
    exists = (run_dir / RUN_FILE).is_file()
    if exists and not request.resume:
        raise RunError(f"{run_dir} already holds a run; pass --resume to continue it, or choose "
                       "another --out folder")
    info = _run_info(request, context, cache)
    if exists:
        stored = read_run_info(run_dir)
        _check_resumable(stored, info, run_dir)
        info = RunInfo(**{**vars(stored), "config": info.config})  # resumable changes apply
    dist_utils.barrier(context)
    if context.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_run_info(run_dir, info)
    dist_utils.barrier(context)
    checkpoints = list_checkpoints(run_dir)
    return info, (checkpoints[-1][1] if exists and checkpoints else None)


def _run_info(request: TrainRequest, context: DistributedContext, cache: FeatureCache):
    header = cache.header
    head_from = request.head_from or request.config.stage2.head_from or None
    if request.stage == "stage2" and head_from:
        head_from = str(Path(head_from).resolve())
    return RunInfo(
        stage=request.stage,
        config=request.config,
        model=model_config_for(request.stage, request.config, header.dims),
        cache=CacheRef(str(cache.folder.resolve()), header.key(), header.components,
                       dict(header.dims), dict(header.component_digests)),
        world_size=context.world_size,
        head_from=head_from if request.stage == "stage2" else None,
    )


def _check_resumable(stored: RunInfo, wanted: RunInfo, run_dir: Path) -> None:
    """Only settings that do not change a step's computation may differ on resume (those in
    RESUMABLE_CHANGES, and those the stage's model does not use)."""
    problems = []
    if stored.stage != wanted.stage:
        problems.append(f"stage {stored.stage} ≠ {wanted.stage}")
    if stored.cache.key != wanted.cache.key:
        problems.append("the feature cache differs")
    if stored.world_size != wanted.world_size:
        problems.append(f"{stored.world_size} processes ≠ {wanted.world_size}")
    old, new = to_dict(stored.config), to_dict(wanted.config)
    free = RESUMABLE_CHANGES | UNUSED_BY_STAGE.get(wanted.stage, set())
    problems += [
        f"[{section}] {key}: {old[section][key]!r} → {new[section][key]!r}"
        for section in old
        for key in old[section]
        if old[section][key] != new[section][key] and (section, key) not in free
    ]
    if problems:
        raise RunError(f"cannot resume {run_dir}: " + "; ".join(problems))


def _model_from_checkpoint(info: RunInfo, folder: Path, device: torch.device):
    from semanticaudio.engine.models.semantic_audio import SemanticAudioModel

    model = SemanticAudioModel(info.model)
    load_weights(model, folder / MODEL_FILE)
    return model.to(device)


def _data_order(config: TrainConfig, num_clips: int, context: DistributedContext) -> DataOrder:
    batch = config.batch
    if batch.batch_size % context.world_size:
        raise ValueError(f"batch_size {batch.batch_size} does not split evenly over "
                         f"{context.world_size} processes")
    per_process = batch.batch_size // context.world_size
    if batch.micro_batch_size and per_process % batch.micro_batch_size:
        raise ValueError(f"micro_batch_size {batch.micro_batch_size} must divide the "
                         f"per-process batch {per_process}")
    return DataOrder(num_clips, per_process, context.rank, context.world_size,
                     config.training.seed)


def _wrap_ddp(objective: StageObjective, context: DistributedContext) -> torch.nn.Module:
    if not context.is_distributed:
        return objective
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [context.device.index] if context.device.type == "cuda" else None
    # The latent statistics are fixed buffers, identical everywhere: no per-step broadcast.
    return DistributedDataParallel(objective, device_ids=device_ids, broadcast_buffers=False)


def _autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """bf16 autocast on GPUs when "auto"; "bf16" forces it, "fp32" turns it off."""
    if precision == "bf16" or (precision == "auto" and device.type == "cuda"):
        return torch.bfloat16
    return None


def _parameter_digest(model: torch.nn.Module) -> bytes:
    """sha256 of every parameter's bytes, in name order (replicas must agree exactly)."""
    digest = hashlib.sha256()
    for _, parameter in sorted(model.named_parameters()):
        flat = parameter.detach().cpu().contiguous().reshape(-1)
        digest.update(flat.view(torch.uint8).numpy().tobytes())
    return digest.digest()
