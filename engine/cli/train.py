"""``sa train stage1|stage2|base --config FILE --data CACHE --out RUN [--resume]``.

The same command runs on several GPUs or machines under torchrun (DDP), e.g.
``torchrun --nproc_per_node 8 -m semanticaudio.engine.cli train stage1 ...``.
"""

from __future__ import annotations

import argparse


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stage", choices=["stage1", "stage2", "base"],
                        help="stage1: synthesizer + head; stage2: planner; base: Base model")
    parser.add_argument("--config", default="paper",
                        help="training TOML, or a shipped config name: paper (default), tiny")
    parser.add_argument("--data", required=True, help="feature cache (from sa cache-features)")
    parser.add_argument("--out", required=True, help="run folder (checkpoints, log.csv)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its latest checkpoint")
    parser.add_argument("--head-from", metavar="RUN",
                        help="stage2: the stage-1 run whose head and synthesizer to use")
    parser.add_argument("--until-step", type=int,
                        help="stop at this step with a checkpoint (the schedule is unchanged)")
    parser.add_argument("--device", default="auto",
                        help="auto (this process's GPU under torchrun), cpu or cuda[:N]")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from semanticaudio.engine.training.config import load_train_config
    from semanticaudio.engine.training.trainer import TrainRequest, train

    result = train(TrainRequest(
        stage=args.stage,
        config=load_train_config(args.config),
        data_dir=Path(args.data),
        out_dir=Path(args.out),
        resume=args.resume,
        head_from=Path(args.head_from) if args.head_from else None,
        device=args.device,
        until_step=args.until_step,
    ))
    if os.environ.get("RANK", "0") == "0":
        loss = "n/a" if result.mean_loss is None else f"{result.mean_loss:.4f}"
        print(f"{args.stage}: step {result.step}, mean loss {loss}, checkpoint "
              f"{result.checkpoint or 'unchanged'}")
    return 0
