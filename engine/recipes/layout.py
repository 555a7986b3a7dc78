"""Where ``sa build-default`` puts everything under its output folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LOG_FILE = "build_log.json"


@dataclass(frozen=True)
class BuildLayout:
    """Paths of one build: corpus, components, feature cache, training runs, checkpoints."""

    root: Path

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    @property
    def components(self) -> Path:
        return self.root / "components"

    @property
    def codec(self) -> Path:
        return self.components / "codec"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def configs(self) -> Path:
        return self.root / "configs"

    def partial(self, step: str) -> Path:
        """Mid-run checkpoints of a component step (removed when the step finishes)."""
        return self.root / "partial" / step

    def run(self, stage: str) -> Path:
        return self.root / "runs" / stage

    @property
    def model(self) -> Path:
        """The exported two-stage checkpoint: the default model."""
        return self.root / "model"

    @property
    def base_model(self) -> Path:
        return self.root / "model_base"

    @property
    def log(self) -> Path:
        return self.root / LOG_FILE

    def outputs(self) -> tuple[Path, ...]:
        """The top-level folders the steps write (what a build without its log leaves)."""
        return (self.corpus, self.components, self.cache, self.configs, self.root / "partial",
                self.root / "runs", self.model, self.base_model)
