"""bench/output_floor.py end to end on the tiny model, whose random codec sits on a large DC
offset: the report shows it in the codec's raw decode and gone from the pipeline's output."""

import json
import runpy
from pathlib import Path

BENCH = Path(__file__).parents[3] / "bench" / "output_floor.py"


def test_the_report_shows_the_codec_offset_and_the_filtered_output(tmp_path, tiny_checkpoint_dir):
    out = tmp_path / "floor.json"
    script = runpy.run_path(str(BENCH))
    script["main"](["--model", str(tiny_checkpoint_dir), "--duration", "0.5", "--threads", "1",
                    "--out", str(out)])
    report = json.loads(out.read_text())
    assert [clip["prompt"] for clip in report["clips"]] == list(script["PROMPTS"])
    for clip in report["clips"]:
        raw, output = clip["codec_raw"], clip["output"]
        assert abs(raw["mean"]) > 0.1  # the tiny random codec's offset
        assert abs(output["mean"]) < 0.1 * abs(raw["mean"])
        assert output["floor_dbfs"] < raw["floor_dbfs"] and output["peak_dbfs"] <= 0
