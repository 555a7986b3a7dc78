"""`sa-client`: send one request to sa-engine, show progress, print the result.

Exit status: 0 success, 1 the engine answered with an error, 2 usage error, 3 no answer or
timeout, 4 the job was cancelled. `sa-client cancel ID` exits 0 once the job is cancelled.
A job that times out, or is interrupted with Ctrl-C, is cancelled in the engine before exiting.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semanticaudio.bridge.client_io import (
    Connection,
    Deadline,
    NoEngineError,
    ProgressView,
    unwritable_file_reason,
    write_result_file,
)
from semanticaudio.bridge.protocol import DEFAULT_HOST, DEFAULT_PORT, JOB_ID_PATTERN

EXIT_OK, EXIT_ENGINE_ERROR, EXIT_USAGE, EXIT_NO_ANSWER, EXIT_CANCELLED = 0, 1, 2, 3, 4
ACK_TIMEOUT_S = 10.0  # a running engine answers every request at once; silence means trouble
CANCEL_WAIT_S = 10.0  # after Ctrl-C or a timeout: how long to wait for the cancel to land

Reply = tuple[str, list[Any]]


class UsageError(ValueError):
    """A command line that cannot be turned into a request."""


@dataclass(frozen=True)
class Outcome:
    """How a command ended: exit status, the JSON result, and lines for stdout."""

    exit_code: int
    result: dict[str, Any]
    lines: list[str] = field(default_factory=list)


def failure(exit_code: int, job_id: str, code: str, message: str) -> Outcome:
    return Outcome(exit_code, {"ok": False, "job_id": job_id, "code": code, "message": message})


# -------------------------------------------------------------------------------- parser


def _add_job_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--preset", help="preset name (see `sa-client presets`)")
    sub.add_argument("--out-dir", type=Path, default=Path.cwd(),
                     help="existing folder for the result (default: the current folder)")
    sub.add_argument("--variations", type=int, help="number of files to render (1..8)")
    sub.add_argument("--seed", type=int, help="random seed")
    sub.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                     help="any protocol option, e.g. steps=25 (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sa-client", description="Talk to a running sa-engine.")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait in all")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--job-id", help="job id to use (default: 12 random hex characters)")
    parser.add_argument("--result-file", type=Path, help="write the JSON result here at the end")
    parser.add_argument("--progress-file", type=Path, help="keep '<fraction> <stage>' here")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("ping", "status", "presets"):
        commands.add_parser(name)
    generate = commands.add_parser("generate", help="text → new audio")
    generate.add_argument("prompt")
    generate.add_argument("--duration", type=float, default=5.0, help="seconds (default 5)")
    _add_job_options(generate)
    edit = commands.add_parser("edit", help="change a region of an audio file")
    edit.add_argument("in_path", type=Path)
    edit.add_argument("--target", default="",
                      help="what it should sound like (a preset may build it from --source)")
    edit.add_argument("--source", default="", help="what it sounds like now (default: none)")
    edit.add_argument("--start", type=float, default=0.0, help="region start, seconds")
    edit.add_argument("--length", type=float, help="region length (default: to the end)")
    edit.add_argument("--range", type=float, nargs=2, metavar=("A", "B"),
                      help="edit only A..B seconds into the region")
    _add_job_options(edit)
    cancel = commands.add_parser("cancel", help="cancel a queued or running job")
    cancel.add_argument("target_job_id", metavar="JOB_ID")
    return parser


def options_string(args: argparse.Namespace) -> str:
    """The protocol's `key=value;...` from the command's flags and --option pairs."""
    pairs = [f"preset={args.preset}"] if args.preset else []
    if args.variations is not None:
        pairs.append(f"variations={args.variations}")
    if args.seed is not None:
        pairs.append(f"seed={args.seed}")
    if getattr(args, "range", None):
        pairs.append(f"range={args.range[0]!r}:{args.range[1]!r}")  # every digit: no rounding
    for item in args.option:
        if "=" not in item or ";" in item:
            raise UsageError(f"--option takes one KEY=VALUE without ';', got {item!r}")
        pairs.append(item.strip())
    return ";".join(pairs)


def region_length_s(in_path: Path, start_s: float, length_s: float | None) -> float:
    """--length, or the rest of the file after --start."""
    if length_s is not None:
        return length_s
    from semanticaudio.bridge.audio_io import AudioError, probe  # pedalboard only when needed

    try:
        info = probe(in_path)
    except AudioError as exc:
        raise UsageError(f"cannot read {in_path} to find its length: {exc}") from None
    if info.duration_s <= start_s:
        raise UsageError(
            f"--start {start_s:g} is past the end of {in_path} ({info.duration_s:g} s)"
        )
    return info.duration_s - start_s


# ------------------------------------------------------------------------------- commands


def await_reply(
    conn: Connection, deadline: Deadline, wanted: Callable[[Reply], bool]
) -> Reply | None:
    """The first reply `wanted` accepts before the deadline (others are skipped), or None."""
    while (left := deadline.left()) > 0:
        reply = conn.receive(left)
        if reply is not None and wanted(reply):
            return reply
    return None


def simple_request(conn: Connection, args: argparse.Namespace) -> Outcome:
    """ping, status or presets: one request, one reply."""
    conn.send(f"/sa/{args.command}", conn.reply_port)
    expected = {"ping": "/sa/pong", "status": "/sa/status", "presets": "/sa/presets"}
    reply = await_reply(conn, Deadline(min(args.timeout, ACK_TIMEOUT_S)),
                        lambda r: r[0] in (expected[args.command], "/sa/error"))
    if reply is None:
        return failure(EXIT_NO_ANSWER, "", "timeout", f"no answer from sa-engine at {conn.engine}")
    address, values = reply
    if address == "/sa/error":
        return failure(EXIT_ENGINE_ERROR, values[0], values[1], values[2])
    return _describe_simple(args.command, values)


def _describe_simple(command: str, values: list[Any]) -> Outcome:
    if command == "ping":
        version, model, device = values[:3]
        result = {"ok": True, "version": version, "model": model, "device": device}
        return Outcome(EXIT_OK, result, [f"sa-engine protocol {version}: {model} on {device}"])
    if command == "status":
        queued, running, fraction, stage, *ids = values
        result = {"ok": True, "queued": queued, "running_job_id": running, "fraction": fraction,
                  "stage": stage, "queued_job_ids": ids}
        line = f"running: {running or '-'} ({stage} {fraction:.0%}); queued: {queued}"
        return Outcome(EXIT_OK, result, [line, *ids])
    triples = [values[i : i + 3] for i in range(0, len(values) - 2, 3)]
    result = {"ok": True, "presets": [
        {"name": n, "kind": k, "description": d} for n, k, d in triples]}
    return Outcome(EXIT_OK, result, [f"{n:<24} {k:<9} {d}" for n, k, d in triples])


def cancel_job(conn: Connection, job_id: str, timeout_s: float) -> Outcome:
    """Ask the engine to cancel `job_id` and wait for its final reply."""
    conn.send("/sa/cancel", job_id, conn.reply_port)
    reply = await_reply(conn, Deadline(timeout_s),
                        lambda r: r[0] in ("/sa/error", "/sa/done") and r[1][:1] == [job_id])
    if reply is None:
        return failure(EXIT_NO_ANSWER, job_id, "timeout", "no answer to the cancel request")
    address, values = reply
    if address == "/sa/done":
        return failure(EXIT_ENGINE_ERROR, job_id, "finished", "the job finished before the cancel")
    if values[1] == "cancelled":
        return Outcome(EXIT_OK, {"ok": True, "job_id": job_id, "code": "cancelled",
                                 "message": values[2]}, [f"cancelled {job_id}"])
    return failure(EXIT_ENGINE_ERROR, job_id, values[1], values[2])


def job_request(args: argparse.Namespace, job_id: str, reply_port: int) -> tuple[str, list[Any]]:
    """The /sa/generate or /sa/edit message for the command line."""
    out_dir = str(args.out_dir.absolute())
    options = options_string(args)
    if args.command == "generate":
        return "/sa/generate", [job_id, reply_port, args.prompt, float(args.duration), out_dir,
                                options]
    in_path = args.in_path.absolute()
    length_s = region_length_s(in_path, args.start, args.length)
    return "/sa/edit", [job_id, reply_port, str(in_path), float(args.start), float(length_s),
                        args.source, args.target, out_dir, options]


def run_job(conn: Connection, args: argparse.Namespace, job_id: str, view: ProgressView) -> Outcome:
    """Send the job, follow its progress, and return how it ended."""
    address, values = job_request(args, job_id, conn.reply_port)
    conn.send(address, *values)
    accepted = False
    ack, overall = Deadline(min(args.timeout, ACK_TIMEOUT_S)), Deadline(args.timeout)
    try:
        while True:
            reply = conn.receive((overall if accepted else ack).left())
            if reply is None:
                return _give_up(conn, job_id, accepted, view)
            kind, values = reply
            if not values or values[0] not in (job_id, ""):
                continue  # another job's reply
            accepted = True
            if kind == "/sa/accepted":
                view.note(f"job {job_id} accepted ({values[1]} ahead of it)")
            elif kind == "/sa/progress":
                view.update(float(values[1]), str(values[2]))
            elif kind in ("/sa/done", "/sa/error"):
                view.end()
                return _final(job_id, kind, values)
    except KeyboardInterrupt:
        view.note(f"interrupted: cancelling job {job_id}")
        try:
            outcome = cancel_job(conn, job_id, CANCEL_WAIT_S)
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting for the engine's answer
            return failure(EXIT_CANCELLED, job_id, "cancelled",
                           "interrupted again: the cancel was sent, its answer not awaited")
        return failure(EXIT_CANCELLED, job_id, "cancelled", outcome.result.get("message", ""))


def _final(job_id: str, kind: str, values: list[Any]) -> Outcome:
    if kind == "/sa/done":
        paths = [str(p) for p in values[1:]]
        return Outcome(EXIT_OK, {"ok": True, "job_id": job_id, "paths": paths}, paths)
    code, message = str(values[1]), str(values[2])
    return failure(EXIT_CANCELLED if code == "cancelled" else EXIT_ENGINE_ERROR, job_id, code,
                   message)


def _give_up(conn: Connection, job_id: str, accepted: bool, view: ProgressView) -> Outcome:
    view.end()
    if not accepted:
        return failure(EXIT_NO_ANSWER, job_id, "timeout",
                       f"sa-engine at {conn.engine} did not answer within {ACK_TIMEOUT_S:g} s")
    cancel_job(conn, job_id, CANCEL_WAIT_S)
    return failure(EXIT_NO_ANSWER, job_id, "timeout",
                   "the job did not finish in time (--timeout); it was cancelled")


# ---------------------------------------------------------------------------------- main


def run(args: argparse.Namespace, job_id: str) -> Outcome:
    """Carry out one parsed command line."""
    conn = Connection(args.host, args.port)
    try:
        if args.command in ("ping", "status", "presets"):
            return simple_request(conn, args)
        if args.command == "cancel":
            return cancel_job(conn, args.target_job_id, min(args.timeout, 60.0))
        view = ProgressView(progress_file=args.progress_file, quiet=args.json)
        return run_job(conn, args, job_id, view)
    finally:
        conn.close()


def _check_output_files(args: argparse.Namespace) -> None:
    """--result-file and --progress-file can be written (checked before any job is sent)."""
    for flag, path in (("--result-file", args.result_file), ("--progress-file",
                                                             args.progress_file)):
        reason = None if path is None else unwritable_file_reason(path)
        if reason is not None:
            raise UsageError(f"{flag}: {reason}")


def _job_id(args: argparse.Namespace) -> str:
    job_id = args.job_id or uuid.uuid4().hex[:12]
    if not JOB_ID_PATTERN.fullmatch(job_id):
        raise UsageError(f"--job-id must be 1..64 characters of A-Z a-z 0-9 _ -, got {job_id!r}")
    return job_id


def report(outcome: Outcome, as_json: bool) -> None:
    if as_json:
        print(json.dumps(outcome.result))
        return
    for line in outcome.lines:
        print(line)
    if not outcome.result.get("ok"):
        print(f"sa-client: {outcome.result['code']}: {outcome.result['message']}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `sa-client`; returns the exit status."""
    args = build_parser().parse_args(argv)
    job_id = args.job_id or ""
    try:
        job_id = _job_id(args)
        _check_output_files(args)
        outcome = run(args, job_id)
    except UsageError as exc:
        outcome = failure(EXIT_USAGE, job_id, "usage", str(exc))
    except NoEngineError as exc:
        outcome = failure(EXIT_NO_ANSWER, job_id, "no_engine", str(exc))
    except OSError as exc:  # e.g. an unknown host name
        outcome = failure(EXIT_NO_ANSWER, job_id, "network", f"cannot reach sa-engine: {exc}")
    outcome.result.setdefault("job_id", job_id)
    exit_code = outcome.exit_code
    try:
        write_result_file(args.result_file, outcome.result)
    except OSError as exc:  # checked before the job, so its folder went away meanwhile
        print(f"sa-client: cannot write --result-file {args.result_file}: {exc}", file=sys.stderr)
        exit_code = EXIT_USAGE
    try:
        report(outcome, args.json)
    except BrokenPipeError:  # e.g. `sa-client presets | head -1`
        sys.stderr.close()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
