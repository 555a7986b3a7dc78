"""Find a pretrained component's files on this machine: a local folder or the local hub cache.

Nothing here touches the network. A model-hub id (``facebook/dacvae-watermarked``) is looked up
in the local Hugging Face cache only (the semantics of ``HF_HUB_OFFLINE=1``); when the files are
absent the error says which ones, where they were looked for, and how to provide them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

from semanticaudio.engine.errors import CheckpointError

# Files that hold pickled weights: we never load them, but we name them when they are all we find.
PICKLE_SUFFIXES = (".bin", ".pth", ".pt", ".ckpt", ".pkl")
SAFETENSORS_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")

# org/name, optionally @revision (a branch, tag, commit or refs/pr/N)
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(@[\w./-]+)?$")


class MissingWeightsError(FileNotFoundError):
    """A component's files are not on this machine; the message says what to do about it."""

    def __init__(self, source: str, missing: Sequence[str], searched: Sequence[str], hint: str):
        self.source = source
        self.missing = tuple(missing)
        self.searched = tuple(searched)
        self.hint = hint
        lines = [
            f"cannot load {source!r}: missing {'; '.join(self.missing)}",
            *(f"  looked in: {place}" for place in self.searched),
            f"  to fix: {hint}",
        ]
        super().__init__("\n".join(lines))


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache folder, read from the environment at call time."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "huggingface" / "hub"


def looks_like_hub_id(path_or_id: str) -> bool:
    """``org/name`` or ``org/name@revision``, no leading ``.`` or ``~``: a model-hub id."""
    return bool(_HUB_ID.match(path_or_id)) and not path_or_id.startswith((".", "~"))


def download_hint(path_or_id: str, files: Sequence[str]) -> str:
    """How a user provides ``files`` for ``path_or_id`` on a machine without network access."""
    repo, _, revision = path_or_id.partition("@")
    if not looks_like_hub_id(path_or_id):
        repo, revision = "<org>/<model>", ""
    arguments = f"{repo} --revision {revision}" if revision else repo
    return (
        f"on a connected machine run `hf download {arguments}` (older huggingface_hub: "
        f"`huggingface-cli download {arguments}`) and copy its cache folder into "
        f"{hub_cache_dir()}, or pass a local folder that holds {'; '.join(files)}"
    )


def transformers_convert_hint(
    path_or_id: str, model_class_name: str, companion_class_name: str = "AutoTokenizer"
) -> str:
    """How to turn a pickle-only transformers repository into safetensors, once, elsewhere.

    ``companion_class_name`` saves what the loader needs beside the weights: the tokenizer of a
    text encoder, the feature extractor (``AutoFeatureExtractor``) of an audio encoder.
    """
    repo = path_or_id.partition("@")[0] if looks_like_hub_id(path_or_id) else "<org>/<model>"
    return (
        "convert it once on a trusted, connected machine: `python -c \"import transformers as t; "
        f"t.{model_class_name}.from_pretrained('{repo}').save_pretrained('out'); "
        f"t.{companion_class_name}.from_pretrained('{repo}').save_pretrained('out')\"` and pass "
        "the folder 'out' (or download the repository's safetensors pull request, "
        f"`{repo}@refs/pr/<n>`)"
    )


def resolve_folder(
    path_or_id: str,
    required: Sequence[Sequence[str]],
    hint: str | None = None,
    convert_hint: str | None = None,
) -> Path:
    """The folder that holds a component's files, with every ``required`` group present.

    ``required`` is a list of groups of alternatives: ``[("model.safetensors",
    "model.safetensors.index.json"), ("config.json",)]`` needs one of the first two and the
    third. Raises ``MissingWeightsError`` naming the missing files and the places searched;
    ``hint`` replaces the default download advice, ``convert_hint`` is added when the folder
    holds only pickled weights.
    """
    folder, searched = _locate(path_or_id, required, hint)
    missing = [" or ".join(group) for group in required if not _any_present(folder, group)]
    if missing:
        fix = _fix_hint(path_or_id, folder, required, hint, convert_hint)
        raise MissingWeightsError(path_or_id, missing, searched, fix)
    return folder


def _locate(
    path_or_id: str, required: Sequence[Sequence[str]], hint: str | None
) -> tuple[Path, list[str]]:
    """The local folder for ``path_or_id`` and the places searched for it."""
    local = Path(path_or_id).expanduser()
    if local.is_dir():
        return local, [str(local.resolve())]
    names = [" or ".join(group) for group in required]
    if local.is_file():  # e.g. the weights file itself: say which folder to pass instead
        file = local.resolve()
        where = f"{file} (a file: pass the folder that holds it, {file.parent})"
        raise MissingWeightsError(path_or_id, names, [where],
                                  hint or download_hint(path_or_id, names))
    if looks_like_hub_id(path_or_id):
        snapshot = cached_snapshot(path_or_id)
        if snapshot is not None:
            return snapshot, [str(snapshot)]
        searched = [f"{local.resolve()} (no such folder)", str(_repo_cache_folder(path_or_id))]
    else:
        searched = [f"{local.resolve()} (no such folder)"]
    raise MissingWeightsError(
        path_or_id, names, searched, hint or download_hint(path_or_id, names)
    )


def read_json_table(path: Path) -> dict:
    """The JSON object in ``path``; a damaged or non-object file is a CheckpointError naming it
    (``json`` alone would say only "Expecting value: line 1 column 1 (char 0)")."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(
            f"{path} is not valid JSON ({error}); copy or export that component again"
        ) from None
    if not isinstance(data, dict):
        raise CheckpointError(
            f"{path} must hold a JSON object of settings, got a {type(data).__name__}; copy or "
            "export that component again"
        )
    return data


def _repo_cache_folder(hub_id: str) -> Path:
    repo_id = hub_id.partition("@")[0]
    return hub_cache_dir() / ("models--" + repo_id.replace("/", "--"))


def cached_snapshot(hub_id: str) -> Path | None:
    """The cached snapshot folder of ``org/name[@revision]`` (default: main), or None.

    Never downloads: ``local_files_only`` reads only the cache's refs and snapshots.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    repo_id, _, revision = hub_id.partition("@")
    try:
        folder = snapshot_download(
            repo_id, revision=revision or None, cache_dir=hub_cache_dir(), local_files_only=True
        )
    except (LocalEntryNotFoundError, FileNotFoundError, OSError):
        return None
    return Path(folder)


def _any_present(folder: Path, group: Sequence[str]) -> bool:
    return any((folder / name).is_file() for name in group)


def _fix_hint(
    path_or_id: str,
    folder: Path,
    required: Sequence[Sequence[str]],
    hint: str | None,
    convert_hint: str | None,
) -> str:
    """The hint; when the folder holds only pickled weights, a warning and how to convert."""
    names = [" or ".join(group) for group in required]
    text = hint or download_hint(path_or_id, names)
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles and not _any_present(folder, SAFETENSORS_WEIGHTS):
        text = (
            f"found only pickled weights ({', '.join(pickles)}), which this project never "
            f"loads (pickle can run arbitrary code); provide safetensors instead: "
            f"{convert_hint or text}"
        )
    return text


@contextlib.contextmanager
def _quiet_loading():
    """transformers draws a "Loading weights" bar per model; the files are local and small
    against the work that follows, so the bars were only noise above our own progress."""
    from transformers.utils import logging as transformers_logging

    shown = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            transformers_logging.enable_progress_bar()


class IncompatibleWeightsError(ValueError):
    """A checkpoint's tensors do not cover the model that should hold them."""


def load_transformers_model(model_class, folder: Path):
    """``model_class.from_pretrained(folder)`` offline, safetensors only, nothing left random.

    transformers fills weights missing from a checkpoint with random values and only warns;
    here that is an error naming the missing tensors (a wrong or partial checkpoint).
    """
    from safetensors import SafetensorError

    try:
        with _quiet_loading():
            model, info = model_class.from_pretrained(
                folder, local_files_only=True, use_safetensors=True, output_loading_info=True
            )
    except SafetensorError as exc:
        raise CheckpointError(
            f"{folder} holds a safetensors file that cannot be read ({exc}): it may be truncated "
            "or saved in another format; weights load only from safetensors, so export or copy "
            "it again"
        ) from None
    missing = sorted(info.get("missing_keys", ()))
    mismatched = [str(item) for item in info.get("mismatched_keys", ())]
    if missing or mismatched:
        shown = ", ".join([*missing[:8], *mismatched[:8]])
        raise IncompatibleWeightsError(
            f"{folder} does not hold a complete {model_class.__name__}: "
            f"{len(missing)} tensors missing, {len(mismatched)} of the wrong shape ({shown}); "
            "point to a checkpoint of that architecture"
        )
    return model.eval()
