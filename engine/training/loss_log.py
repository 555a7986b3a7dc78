"""The loss log: a CSV file (always) and TensorBoard scalars (when asked for)."""

from __future__ import annotations

import csv
from pathlib import Path

LOG_FILE = "log.csv"
COLUMNS = ("step", "loss", "learning_rate", "grad_norm", "clips_per_s", "elapsed_s")


class LossLog:
    """Appends one row per logging interval to ``run_dir/log.csv``."""

    def __init__(self, run_dir: Path, tensorboard: bool, resume_step: int) -> None:
        self.path = run_dir / LOG_FILE
        self._truncate_after(resume_step)
        if not self.path.is_file():
            with self.path.open("w", newline="") as handle:
                csv.writer(handle).writerow(COLUMNS)
        self.writer = _tensorboard_writer(run_dir) if tensorboard else None

    def _truncate_after(self, step: int) -> None:
        """Drop rows a crashed run logged after its last checkpoint (they will be redone)."""
        if not self.path.is_file():
            return
        with self.path.open(newline="") as handle:
            rows = list(csv.reader(handle))
        kept = [rows[0], *(row for row in rows[1:] if int(row[0]) <= step)] if rows else []
        with self.path.open("w", newline="") as handle:
            csv.writer(handle).writerows(kept)

    def write(self, row: dict[str, float]) -> None:
        with self.path.open("a", newline="") as handle:
            csv.writer(handle).writerow([_format(row[name]) for name in COLUMNS])
        if self.writer is not None:
            for name in ("loss", "learning_rate", "grad_norm", "clips_per_s"):
                self.writer.add_scalar(f"train/{name}", row[name], int(row["step"]))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def read_log(run_dir: Path) -> list[dict[str, float]]:
    """The rows of a run's log.csv as numbers."""
    with (run_dir / LOG_FILE).open(newline="") as handle:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def _format(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:.6g}"


def _tensorboard_writer(run_dir: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ImportError(
            "tensorboard = true needs the tensorboard package: `pip install tensorboard`, or "
            "set tensorboard = false (log.csv is always written)"
        ) from None
    return SummaryWriter(str(run_dir / "tensorboard"))
