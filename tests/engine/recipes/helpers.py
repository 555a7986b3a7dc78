"""A clip bank that fails on a chosen batch, as an interrupted training run would."""

from semanticaudio.engine.recipes.clips import ClipBank


class SimulatedInterruptError(Exception):
    pass


class StoppingBank(ClipBank):
    """The bank, raising on the ``stop_at``-th batch as an interruption would."""

    def __init__(self, bank: ClipBank, stop_at: int | None) -> None:
        super().__init__(bank.pcm, bank.sample_rate_hz, bank.captions, bank.specs)
        object.__setattr__(self, "calls", [0, stop_at])

    def sounding_crops(self, *args, **kwargs):
        self.calls[0] += 1
        if self.calls[0] - 1 == self.calls[1]:
            raise SimulatedInterruptError
        return super().sounding_crops(*args, **kwargs)
