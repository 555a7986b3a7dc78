"""FlowEdit's settings: the checkpoint's defaults merged with a request's, one rule for the
engine, the daemon and the presets."""

import pytest
from semanticaudio.engine.config import MAX_N_AVG, FlowEditConfig

PAPER = FlowEditConfig()  # 50 steps, n_max 35, n_min 10


def test_fewer_steps_keep_the_share_of_edited_steps():
    short = PAPER.with_overrides(num_steps=10)
    assert (short.num_steps, short.n_max, short.n_min) == (10, 7, 2)
    assert short.n_max > short.n_min  # a short edit still edits
    assert PAPER.with_overrides(num_steps=100).n_max == 70


def test_what_the_request_gives_is_kept_and_none_means_the_default():
    assert PAPER.with_overrides(num_steps=10, n_max=9).n_min == 2
    assert PAPER.with_overrides(num_steps=10, n_min=0).n_max == 7
    assert PAPER.with_overrides(n_max=None, n_avg=None, target_guidance=7.0) == FlowEditConfig(
        target_guidance=7.0)
    assert PAPER.with_overrides(num_steps=1).n_min <= PAPER.with_overrides(num_steps=1).n_max


@pytest.mark.parametrize("overrides", [{"n_max": 5}, {"n_min": 40}, {"num_steps": 10, "n_min": 8},
                                       {"n_avg": 0}, {"n_avg": MAX_N_AVG + 1}])
def test_inconsistent_settings_are_refused(overrides):
    with pytest.raises(ValueError, match=r"n_min|n_avg"):
        PAPER.with_overrides(**overrides)
