"""Region edits of items longer than the engine's limit (30 s), in Lua 5.4 against the REAPER
stand-in: a window of at most 30 s of the source around the time selection goes out, and the
result comes back into that part of the item alone, split off at the window's edges (0.25 s of
item time inside them, where the edited file still holds the source's own samples)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .daw_reaper_harness import ActionRun, run_action, write_wav

TARGET = "heavy rain on a tin roof"
RATE_HZ = 8000  # long files stay small; the stand-in reads lengths from the WAV header
MAX_EDIT_S = 30.0  # engine/limits.py MAX_DURATION_S
MARGIN_S = 0.25  # SA.SPLIT_MARGIN_S: the splits lie this much item time inside the window
SLOW_EDIT = {"progress": [[0.2 * k, "edit"] for k in range(1, 6)]}  # five defer cycles


def long_item_project(
    tmp_path: Path, selection: tuple[float, float], *, item_length: float = 60.0,
    startoffs: float = 2.0, playrate: float = 1.0, file_s: float = 64.0, fades=(0.5, 1.0),
) -> tuple[dict, str]:
    """One item at 10 s on a track, playing `file_s` of WAV from `startoffs`."""
    source = str(write_wav(tmp_path / "ambience.wav", file_s, RATE_HZ))
    take = {"name": "ambience", "startoffs": startoffs, "playrate": playrate, "vol": 0.5,
            "pan": 0.25, "chanmode": 2, "source": {"file": source}}
    item = {"position": 10.0, "length": item_length, "selected": True, "fadein": fades[0],
            "fadeout": fades[1], "takes": [take]}
    return {"time_selection": list(selection), "tracks": [{"items": [item]}]}, source


def edited_file(tmp_path: Path, seconds: float = MAX_EDIT_S) -> str:
    return str(write_wav(tmp_path / "edited.wav", seconds, RATE_HZ))


def run_edit(tmp_path: Path, project: dict, **scenario) -> ActionRun:
    result = {"result": {"ok": True, "paths": [edited_file(tmp_path)]}} | SLOW_EDIT
    return run_action("edit", {"project": project, "inputs": [["", TARGET, ""]],
                               "simulate": {"edit": [result]}} | scenario, tmp_path)


def sent(run: ActionRun) -> tuple[float, float, tuple[float, float] | None]:
    """--start, --length and --range of the one edit sent."""
    (process,) = run.processes
    args = process["args"]
    region = None
    if "--range" in args:
        at = args.index("--range")
        region = (float(args[at + 1]), float(args[at + 2]))
    return float(args[args.index("--start") + 1]), float(args[args.index("--length") + 1]), region


def source_second(item: dict, take: dict, time_s: float, window_start_s: float) -> float:
    """Which second of the source file `take` of `item` plays at project time `time_s`: the
    edited file holds the window from `window_start_s` on, the original take the file itself."""
    second = take["startoffs"] + (time_s - item["position"]) * take["playrate"]
    return second + (window_start_s if take["file"].endswith("edited.wav") else 0.0)


def assert_lines_up(items: list[dict], window_start_s: float) -> None:
    """Every part plays with its active take what the original item played at that time (the
    item started at 10 s from second 2.0 of the source at playrate 1), and the parts tile it."""
    end = 10.0
    for item in items:
        assert item["position"] == pytest.approx(end)
        end = item["position"] + item["length"]
        take = item["takes"][item["active_take"] - 1]
        for time_s in (item["position"], item["position"] + item["length"] / 2, end):
            want = 2.0 + (time_s - 10.0) * take["playrate"]
            assert source_second(item, take, time_s, window_start_s) == pytest.approx(want)
    assert end == pytest.approx(70.0)


# selection (project s), sent --start, --range, item edges after the splits (the item plays
# source second 2 at project time 10, so the window starts at project time 8 + start_s)
@pytest.mark.parametrize(("selection", "start_s", "region", "edges"), [
    # the middle: 12.5 s of context either side; split at both window edges (22.5, 52.5)
    ((35.0, 40.0), 14.5, (12.5, 17.5), [10.0, 22.5 + MARGIN_S, 52.5 - MARGIN_S, 70.0]),
    # near the start: the window starts at the item's start; one split at its end (40)
    ((12.0, 17.0), 2.0, (2.0, 7.0), [10.0, 40.0 - MARGIN_S, 70.0]),
    # near the end: the window ends at the item's end; one split at its start (40)
    ((65.0, 69.0), 32.0, (25.0, 29.0), [10.0, 40.0 + MARGIN_S, 70.0]),
    # reaching past the item's end: the selection is clipped to the item
    ((60.0, 80.0), 32.0, (20.0, 30.0), [10.0, 40.0 + MARGIN_S, 70.0]),
    # 29.5 s selected: the window holds just the selection and the room for its splits
    ((25.25, 54.75), 17.0, (0.25, 29.75), [10.0, 25.24, 54.76, 70.0]),
])
def test_a_long_item_sends_a_window_around_the_selection_and_splits_there(
    selection: tuple[float, float], start_s: float, region: tuple[float, float],
    edges: list[float], tmp_path: Path,
) -> None:
    project, source = long_item_project(tmp_path, selection)
    run = run_edit(tmp_path, project)

    (process,) = run.processes
    assert process["args"][0] == source
    sent_start, sent_length, sent_region = sent(run)
    assert (sent_start, sent_length) == (pytest.approx(start_s), MAX_EDIT_S)
    assert sent_region == pytest.approx(region)
    assert run.message_boxes == []
    items = run.tracks[0]["items"]
    assert [i["position"] for i in items] + [items[-1]["position"] + items[-1]["length"]] == \
        pytest.approx(edges)
    # Only the part that plays the window gets the new take, and it is that part's active one.
    edited = [i for i in items if len(i["takes"]) == 2]
    (middle,) = edited
    original, new = middle["takes"]
    assert middle["active_take"] == 2
    assert new["name"] == TARGET
    # It starts where the middle part starts in the window (which starts at 8 + start_s).
    assert new["startoffs"] == pytest.approx(middle["position"] - (8.0 + start_s))
    assert new["startoffs"] >= 0
    assert new["startoffs"] + middle["length"] <= MAX_EDIT_S + 1e-9  # never past the file
    assert original["file"] == source
    for key in ("playrate", "chanmode", "vol", "pan", "pitch", "ppitch"):
        assert new[key] == original[key], key
    assert all(i["takes"][0]["name"] == "ambience" for i in items)
    assert_lines_up(items, start_s)
    # The item's fades stay at its outer edges; the new edges get none.
    assert (items[0]["fadein"], items[-1]["fadeout"]) == (0.5, 1.0)
    assert [i["fadeout"] for i in items[:-1]] == [0] * (len(items) - 1)
    assert [i["fadein"] for i in items[1:]] == [0] * (len(items) - 1)
    # One undo point holds the splits and the new take.
    assert run.undo == [{"kind": "begin"}, {"kind": "end", "description":
                                             "SemanticAudio: edit 1 item(s)", "flags": -1}]
    splits = run.calls("SplitMediaItem")
    assert len(splits) == len(edges) - 2
    calls = run.call_names()
    assert calls.index("Undo_BeginBlock2") < calls.index("SplitMediaItem")
    assert calls.index("SplitMediaItem") < calls.index("Undo_EndBlock2")


def test_a_playrate_other_than_1_measures_the_window_in_source_seconds(tmp_path: Path) -> None:
    # 30 s of item at playrate 2 plays 60 s of source from second 2; the selection 20..22.5 s
    # is item seconds 10..12.5 = source 22..27 s. The window is 30 s of source (15 s of item,
    # project 13.75..28.75 s); the splits lie 0.25 s of item time (0.5 s of source) inside it.
    project, _ = long_item_project(tmp_path, (20.0, 22.5), item_length=30.0, playrate=2.0)
    run = run_edit(tmp_path, project)
    assert sent(run) == (pytest.approx(9.5), MAX_EDIT_S, pytest.approx((12.5, 17.5)))
    items = run.tracks[0]["items"]
    assert [i["position"] for i in items] == pytest.approx([10.0, 14.0, 28.5])
    assert [len(i["takes"]) for i in items] == [1, 2, 1]
    new = items[1]["takes"][1]
    assert (new["playrate"], new["startoffs"]) == (2.0, pytest.approx(0.5))
    assert items[1]["length"] * new["playrate"] == pytest.approx(MAX_EDIT_S - 1.0)
    for item in items:  # each part plays what the item played there
        take = item["takes"][item["active_take"] - 1]
        for time_s in (item["position"], item["position"] + item["length"]):
            want = 2.0 + (time_s - 10.0) * 2.0
            assert source_second(item, take, time_s, 9.5) == pytest.approx(want)


@pytest.mark.parametrize(("selection", "playrate", "words"), [
    ((15.0, 50.0), 1.0, ["the time selection covers 35.000 s of its audio",
                         "0.25 s of item kept on each side of the selection",
                         "shorten the time selection to at most 29.500 s"]),
    ((15.0, 35.0), 2.0, ["the time selection covers 40.000 s of its audio (20.000 s of item "
                         "at playrate 2)", "shorten the time selection to at most 14.500 s"]),
    ((0.0, 0.0), 1.0, ["it plays 60.000 s of audio and the engine edits at most 30 s",
                       "make a time selection of at most 29.500 s inside it"]),
    ((0.0, 80.0), 1.0, ["it plays 60.000 s of audio"]),  # the whole item is selected
])
def test_a_long_item_without_a_short_enough_selection_is_refused_before_asking(
    selection: tuple[float, float], playrate: float, words: list[str], tmp_path: Path,
) -> None:
    project, _ = long_item_project(tmp_path, selection, item_length=60.0 / playrate,
                                   playrate=playrate)
    run = run_action("edit", {"project": project}, tmp_path)
    assert run.processes == []
    assert run.data["dialogs"] == []
    assert run.undo == []
    (box,) = run.message_boxes
    assert box["msg"].startswith("None of the selected items can be edited")
    assert 'Item "ambience" on track 1 at 0:10.000 was skipped' in box["msg"]
    for word in words:
        assert word in box["msg"]
    assert len(run.tracks[0]["items"]) == 1


def test_a_refused_long_item_does_not_stop_the_others(tmp_path: Path) -> None:
    project, _ = long_item_project(tmp_path, (15.0, 50.0))
    short = str(write_wav(tmp_path / "short.wav", 4.0, RATE_HZ))
    project["tracks"][0]["items"].append({"position": 80.0, "length": 3.0, "selected": True,
                                          "takes": [{"source": {"file": short}}]})
    run = run_edit(tmp_path, project)
    (process,) = run.processes
    assert process["args"][:5] == [short, "--start", "0.0", "--length", "3.0"]
    long_item, short_item = run.tracks[0]["items"]
    assert (len(long_item["takes"]), len(short_item["takes"])) == (1, 2)
    (box,) = run.message_boxes
    assert "the time selection covers 35.000 s of its audio" in box["msg"]


@pytest.mark.parametrize("length", [30.0, 29.5])
def test_items_within_the_limit_are_sent_whole_as_before(length: float, tmp_path: Path) -> None:
    project, source = long_item_project(tmp_path, (20.0, 25.0), item_length=length)
    run = run_edit(tmp_path, project)
    assert run.processes[0]["args"][:5] == [source, "--start", "2.0", "--length",
                                            f"{length}"]
    assert sent(run)[2] == pytest.approx((10.0, 15.0))
    assert run.calls("SplitMediaItem") == []
    (item,) = run.tracks[0]["items"]
    assert item["takes"][1]["startoffs"] == 0


# ------------------------------------------------- the item changes while the engine works


def test_a_long_item_trimmed_while_the_engine_worked_is_split_where_the_window_is(
    tmp_path: Path,
) -> None:
    # Sent: source 14.5..44.5 s (project 22.5..52.5). The user trims 5 s off the left edge and
    # 3 s off the right one: the audio stays where it was, so the splits do too (0.25 s inside).
    project, _ = long_item_project(tmp_path, (35.0, 40.0))
    trim = {"track": 1, "item": 1, "set_item": {"position": 15.0, "length": 52.0},
            "set_take": {"startoffs": 7.0}}
    run = run_edit(tmp_path, project, change_items={3: [trim]})
    items = run.tracks[0]["items"]
    assert [(i["position"], i["length"]) for i in items] == [
        (15.0, pytest.approx(7.75)), (pytest.approx(22.75), pytest.approx(29.5)),
        (pytest.approx(52.25), pytest.approx(14.75))]
    assert [len(i["takes"]) for i in items] == [1, 2, 1]
    assert items[1]["takes"][1]["startoffs"] == pytest.approx(MARGIN_S)
    assert run.message_boxes == []


def test_a_long_item_trimmed_into_the_window_needs_no_split(tmp_path: Path) -> None:
    # The user trims the item to project 30..45 s (source 22..37 s), inside the window
    # 14.5..44.5 s: the new take starts 7.5 s into the edited file.
    project, _ = long_item_project(tmp_path, (35.0, 40.0))
    trim = {"track": 1, "item": 1, "set_item": {"position": 30.0, "length": 15.0},
            "set_take": {"startoffs": 22.0}}
    run = run_edit(tmp_path, project, change_items={3: [trim]})
    assert run.calls("SplitMediaItem") == []
    (item,) = run.tracks[0]["items"]
    assert item["takes"][1]["startoffs"] == pytest.approx(7.5)
    assert run.message_boxes == []


def test_a_playrate_changed_while_the_engine_worked_moves_the_splits(tmp_path: Path) -> None:
    # The user doubles the playrate (the 60 s item now plays its 60 s of source in 30 s): the
    # window 14.5..44.5 s of source now plays at project 16.25..31.25 s.
    project, _ = long_item_project(tmp_path, (35.0, 40.0))
    change = {"track": 1, "item": 1, "set_item": {"length": 30.0}, "set_take": {"playrate": 2.0}}
    run = run_edit(tmp_path, project, change_items={3: [change]})
    items = run.tracks[0]["items"]
    assert [i["position"] for i in items] == pytest.approx([10.0, 16.5, 31.0])
    new = items[1]["takes"][1]
    assert (new["playrate"], new["startoffs"]) == (2.0, pytest.approx(0.5))
    assert items[1]["length"] == pytest.approx(14.5)


def test_a_long_item_that_no_longer_plays_the_window_gets_nothing(tmp_path: Path) -> None:
    project, _ = long_item_project(tmp_path, (35.0, 40.0))
    trim = {"track": 1, "item": 1, "set_item": {"position": 60.0, "length": 10.0},
            "set_take": {"startoffs": 52.0}}
    run = run_edit(tmp_path, project, change_items={3: [trim]})
    assert run.calls("SplitMediaItem") == []
    assert run.undo == []
    (item,) = run.tracks[0]["items"]
    assert len(item["takes"]) == 1
    (box,) = run.message_boxes
    assert "was trimmed, extended or changed while the engine worked" in box["msg"]
    assert "the edit covers 14.500..44.500 s" in box["msg"]
    assert str(tmp_path / "edited.wav") in box["msg"]


def test_a_long_item_deleted_while_the_engine_worked_is_left_alone(tmp_path: Path) -> None:
    project, _ = long_item_project(tmp_path, (35.0, 40.0))
    run = run_edit(tmp_path, project, delete_items={3: [[1, 1]]})
    assert sent(run)[:2] == (pytest.approx(14.5), MAX_EDIT_S)
    assert run.tracks[0]["items"] == []
    assert run.undo == []
    assert "the item was deleted while the engine worked" in run.message_boxes[0]["msg"]


def test_a_split_reaper_refuses_adds_no_take_and_keeps_the_file(tmp_path: Path) -> None:
    project, _ = long_item_project(tmp_path, (35.0, 40.0))
    run = run_edit(tmp_path, project, split_fails=True)  # the harness checks no source leaks
    (item,) = run.tracks[0]["items"]
    assert len(item["takes"]) == 1
    (box,) = run.message_boxes
    assert "REAPER did not split the item at 0:52.250" in box["msg"]
    assert str(tmp_path / "edited.wav") in box["msg"]
    assert [u["kind"] for u in run.undo] == ["begin", "end"]


# ------------------------------------------- the splits lie where the edit is the source
# engine/regions.py splices the edit in with a CROSSFADE_S (20 ms) crossfade centred on each side
# of the range (none on a side at the window's own edge): outside [A - 10 ms, B + 10 ms] the
# edited file is the source. A split must lie there, or the parts jump from the source to a
# half-edited (or fully edited) sample: a click.
SPLICE_S = 0.02  # engine/regions.py CROSSFADE_S (test_the_splice_width_is_the_engines)


def assert_splits_outside_the_splice(run: ActionRun, playrate: float = 1.0) -> None:
    """Every split of the item (the item plays source second 2 at project time 10 at
    `playrate`) lies outside the range's splice, seen from the window that was sent."""
    start_s, _, (range_a, range_b) = sent(run)
    items = run.tracks[0]["items"]
    (middle,) = [i for i in items if len(i["takes"]) == 2]
    at = items.index(middle)
    def window_second(time_s: float) -> float:
        return 2.0 + (time_s - 10.0) * playrate - start_s
    if at > 0:  # a split on the left: before the splice, never at an open window edge
        assert range_a > 0
        assert window_second(middle["position"]) <= range_a - SPLICE_S / 2 + 1e-9
    if at < len(items) - 1:
        assert range_b < MAX_EDIT_S
        assert window_second(middle["position"] + middle["length"]) >= \
            range_b + SPLICE_S / 2 - 1e-9


@pytest.mark.parametrize(("selection", "most_s"), [
    ((25.0, 55.0), 29.5), ((25.1, 54.9), 29.5), ((26.0, 55.7), 29.5),
    ((10.1, 39.85), 29.65),  # 0.1 s before it in the item: that is all the left side needs
    ((40.1, 69.9), 29.65),   # 0.1 s after it
])
def test_a_selection_that_leaves_no_room_for_the_splits_is_refused(
    selection: tuple[float, float], most_s: float, tmp_path: Path,
) -> None:
    # 0.25 s on each side where the item goes on (or what it has there, if less): at most
    # 29.5 s of selection in its middle.
    project, _ = long_item_project(tmp_path, selection)
    run = run_action("edit", {"project": project}, tmp_path)
    assert run.processes == []
    (box,) = run.message_boxes
    assert f"shorten the time selection to at most {most_s:.3f} s of this item" in box["msg"]


@pytest.mark.parametrize(("selection", "start_s"), [
    ((25.25, 54.75), 17.0),  # 29.5 s: just the room for both splits
    ((25.3, 54.7), 17.0),    # 29.4 s: the rest of the room shared out
    ((10.1, 39.65), 2.0),    # near the start: the window from the item's start, one split
    ((40.35, 69.9), 32.0),   # near the end: the window to the item's end, one split
])
def test_the_splits_lie_outside_the_engines_splice(
    selection: tuple[float, float], start_s: float, tmp_path: Path,
) -> None:
    project, _ = long_item_project(tmp_path, selection)
    run = run_edit(tmp_path, project)
    assert sent(run)[:2] == (pytest.approx(start_s), MAX_EDIT_S)
    assert run.message_boxes == []
    assert_splits_outside_the_splice(run)
    assert_lines_up(run.tracks[0]["items"], start_s)


def test_a_playrate_raised_during_the_job_keeps_the_splits_outside_the_splice(
    tmp_path: Path,
) -> None:
    # 29.5 s selected at playrate 1: 0.25 s of room either side. The user then doubles the
    # playrate (0.25 s of item time is now 0.5 s of source, more than the room).
    project, _ = long_item_project(tmp_path, (25.25, 54.75))
    change = {"track": 1, "item": 1, "set_item": {"length": 30.0}, "set_take": {"playrate": 2.0}}
    run = run_edit(tmp_path, project, change_items={3: [change]})
    assert run.message_boxes == []
    assert_splits_outside_the_splice(run, playrate=2.0)


def test_the_splice_width_is_the_engines(tmp_path: Path) -> None:
    from semanticaudio.engine import regions

    from .test_reaper_scripts import run_lua

    assert float(run_lua("io.write(SA.SPLICE_S)", tmp_path)) == regions.CROSSFADE_S == SPLICE_S
