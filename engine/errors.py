"""Errors the engine raises. Their messages are shown to users as they are (CLI, daemon, DAW)."""


class EngineError(ValueError):
    """A request the engine cannot serve; the message says what was wrong and what is accepted."""


class CheckpointError(EngineError):
    """A checkpoint folder that cannot be loaded: missing files, tensors, shapes or versions."""


class Cancelled(Exception):  # noqa: N818 (reads as what happened: the job was cancelled)
    """Raised between sampling steps when the caller's cancel check returned True."""
