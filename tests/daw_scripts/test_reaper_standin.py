"""The REAPER stand-in itself: it holds every action to REAPER's undo rules, so a script that
leaves the undo history broken fails its test (see daw_reaper_harness.run_action)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .daw_reaper_harness import lua_literal, run_script, write_wav


def run_lua_script(body: str, tmp_path: Path, scenario: dict | None = None):
    script = tmp_path / "script.lua"
    script.write_text(body, encoding="utf-8")
    return run_script(script, scenario or {"project": {"tracks": [{"selected": True}]}},
                      tmp_path)


ADD_ITEM = "reaper.AddMediaItemToTrack(reaper.GetSelectedTrack(0, 0))\n"
BEGIN = "reaper.Undo_BeginBlock2(0)\n"
END = 'reaper.Undo_EndBlock2(0, "test", -1)\n'


def test_one_balanced_block_around_a_change_passes(tmp_path: Path) -> None:
    run = run_lua_script(BEGIN + ADD_ITEM + END, tmp_path)
    assert [u["kind"] for u in run.undo] == ["begin", "end"]
    assert len(run.tracks[0]["items"]) == 1


@pytest.mark.parametrize(("body", "complaint"), [
    (BEGIN + ADD_ITEM, "unbalanced undo blocks (a begin without its end): ['begin']"),
    (BEGIN + BEGIN + END + END, "Undo_BeginBlock2 inside an open undo block"),
    (END, "Undo_EndBlock2 without Undo_BeginBlock2"),
    (BEGIN + END + BEGIN + END, "one action must make at most one undo block"),
    (ADD_ITEM, "AddMediaItemToTrack changed the project outside Undo_BeginBlock2"),
    (BEGIN + "reaper.defer(function() reaper.Undo_EndBlock2(0, 'late', -1) end)\n",
     "an undo block was left open across defer cycles"),
])
def test_a_broken_undo_history_fails_the_run(body: str, complaint: str, tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match=r"(?i)undo") as failure:
        run_lua_script(body, tmp_path)
    assert complaint in str(failure.value)


def test_an_opened_source_must_be_used_or_destroyed(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "a.wav", 1.0)
    open_it = f"local source = reaper.PCM_Source_CreateFromFile({lua_literal(str(wav))})\n"
    with pytest.raises(AssertionError, match="neither used nor destroyed"):
        run_lua_script(open_it, tmp_path)
    run_lua_script(open_it + "reaper.PCM_Source_Destroy(source)\n", tmp_path)
    with pytest.raises(AssertionError, match="must be PCM_source"):  # destroyed: no handle
        run_lua_script(open_it + "reaper.PCM_Source_Destroy(source)\n"
                       "reaper.GetMediaSourceLength(source)\n", tmp_path)


def test_a_deleted_item_stops_validating(tmp_path: Path) -> None:
    wav = str(write_wav(tmp_path / "a.wav", 2.0))
    project = {"tracks": [{"items": [{"length": 1.0, "takes": [{"source": {"file": wav}}]}]}]}
    body = """
local item = reaper.GetSelectedMediaItem(0, 0) or error("no item")
reaper.defer(function()
  reaper.ShowMessageBox(tostring(reaper.ValidatePtr2(0, item, "MediaItem*")), "t", 0)
end)
"""
    project["tracks"][0]["items"][0]["selected"] = True
    run = run_lua_script(body, tmp_path, {"project": project, "delete_items": {1: [[1, 1]]}})
    assert run.message_boxes[0]["msg"] == "false"
    assert run.tracks[0]["items"] == []


SPLIT = """
local item = reaper.GetSelectedMediaItem(0, 0) or error("no item")
local take = reaper.GetActiveTake(item)
reaper.Undo_BeginBlock2(0)
local right = reaper.SplitMediaItem(item, 13.0)
local outside = reaper.SplitMediaItem(item, 20.0)
reaper.Undo_EndBlock2(0, "split", -1)
reaper.ShowMessageBox(table.concat({
  tostring(reaper.GetActiveTake(item) == take), tostring(outside),
  tostring(reaper.ValidatePtr2(0, right, "MediaItem*")),
  tostring(reaper.GetActiveTake(right) ~= take)}, " "), "t", 0)
"""


def test_split_media_item_keeps_the_left_part_and_returns_the_right_one(tmp_path: Path) -> None:
    wav = str(write_wav(tmp_path / "a.wav", 20.0))
    takes = [{"name": "one", "startoffs": 1.0, "playrate": 1.0, "source": {"file": wav}},
             {"name": "two", "startoffs": 0.5, "playrate": 2.0, "vol": 0.5,
              "source": {"file": wav}}]
    project = {"tracks": [{"items": [
        {"position": 10.0, "length": 5.0, "selected": True, "fadein": 0.25, "fadeout": 0.75,
         "active": 2, "takes": takes},
        {"position": 30.0, "length": 1.0, "takes": [{"source": {"file": wav}}]}]}]}
    run = run_lua_script(SPLIT, tmp_path, {"project": project})
    # The original handle is the left part, still playing its takes; a split outside the item
    # fails (nil); the right part is a new, valid item with copies of the takes.
    assert run.message_boxes[0]["msg"] == "true nil true true"
    left, right, other = run.tracks[0]["items"]
    assert (left["position"], left["length"]) == (10.0, 3.0)
    assert (right["position"], right["length"]) == (13.0, 2.0)
    assert other["position"] == 30.0  # the right part sits just after the left one
    assert right["handle"] != left["handle"]
    # Every take goes on in the right part, its offset moved by the split at its own rate.
    assert [t["name"] for t in right["takes"]] == ["one", "two"]
    assert [t["startoffs"] for t in right["takes"]] == [4.0, 6.5]
    assert [t["startoffs"] for t in left["takes"]] == [1.0, 0.5]
    assert right["takes"][1]["vol"] == 0.5
    assert {t["handle"] for t in right["takes"]}.isdisjoint(t["handle"] for t in left["takes"])
    assert left["active_take"] == right["active_take"] == 2
    # The fade-in stays on the left, the fade-out goes right; the new edges get none.
    assert (left["fadein"], left["fadeout"]) == (0.25, 0)
    assert (right["fadein"], right["fadeout"]) == (0, 0.75)
    assert right["selected"] is True


def test_split_media_item_outside_an_undo_block_fails_the_run(tmp_path: Path) -> None:
    wav = str(write_wav(tmp_path / "a.wav", 2.0))
    project = {"tracks": [{"items": [{"length": 1.0, "selected": True,
                                      "takes": [{"source": {"file": wav}}]}]}]}
    with pytest.raises(AssertionError, match="SplitMediaItem changed the project outside"):
        run_lua_script("reaper.SplitMediaItem(reaper.GetSelectedMediaItem(0, 0), 0.5)\n",
                       tmp_path, {"project": project})
