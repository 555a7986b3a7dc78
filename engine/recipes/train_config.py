"""The ``sa train`` configuration of a build profile, written as TOML beside the runs."""

from __future__ import annotations

from pathlib import Path

from semanticaudio.engine.recipes.profiles import BuildProfile


def train_config_table(profile: BuildProfile, stage: str) -> dict[str, dict]:
    """The TOML tables (as dicts) of ``stage``: the learning rate halves at the recipe's
    decay steps (``FlowRecipe.decay_steps``)."""
    flow = profile.flow
    steps = flow.steps(stage)
    backbone = flow.backbone
    return {
        "model": {"backbone": {"depth": backbone.depth, "width": backbone.width,
                               "num_heads": backbone.num_heads},
                  "semantic_dim": flow.semantic_dim, "head": "mlp",
                  "head_hidden_dim": flow.head_hidden_dim},
        "optimizer": {"learning_rate": flow.learning_rate},
        "schedule": {"total_steps": steps, "warmup_steps": min(flow.warmup_steps, steps),
                     "decay_steps": list(flow.decay_steps(stage)), "decay_factor": 0.5},
        "batch": {"batch_size": flow.batch_size, "num_workers": 0},
        "training": {"seed": profile.seed, "ema_decay": flow.ema_decay,
                     "checkpoint_every": min(flow.checkpoint_every, steps),
                     "log_every": max(min(50, steps // 10), 1), "cfg_dropout": 0.1},
    }


def write_train_config(profile: BuildProfile, stage: str, path: Path) -> Path:
    """Write ``stage``'s TOML to ``path`` (folders created). → ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# sa build-default --profile {profile.name}: {stage}"]
    for table, values in train_config_table(profile, stage).items():
        lines += ["", f"[{table}]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml_value(value) -> str:
    """A TOML literal for the value kinds the tables above hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML form for {type(value).__name__} {value!r}")
