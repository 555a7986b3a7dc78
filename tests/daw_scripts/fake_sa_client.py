"""A stand-in for `sa-client` that records its argv: for checking shell quoting end to end.

It appends its argv (as JSON) to $FAKE_SA_LOG and writes the result file a real client would,
naming $FAKE_SA_WAV as the result. Nothing else: the real client is tested in tests/bridge.
"""

import json
import os
import sys
from pathlib import Path


def main() -> int:
    argv = sys.argv[1:]
    with Path(os.environ["FAKE_SA_LOG"]).open("a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\n")
    result_file = Path(argv[argv.index("--result-file") + 1])
    job_id = argv[argv.index("--job-id") + 1]
    result = {"ok": True, "job_id": job_id, "paths": [os.environ["FAKE_SA_WAV"]]}
    result_file.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
