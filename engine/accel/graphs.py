"""Replay a sampling loop as one CUDA graph per static-shape key.

A loop (``stages.py``) is captured once per key with its own input buffers; each later call
copies the request's tensors into those buffers and replays the graph: one launch instead of
thousands of kernel launches. Without CUDA graphs (the CPU, or ``cuda_graphs=False``) the loop
simply runs.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

Inputs = TypeVar("Inputs")


def map_tensors(value: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """Apply ``fn`` to every tensor in a (nested) frozen dataclass of tensors; None stays."""
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        return fn(value)
    if dataclasses.is_dataclass(value):
        fields = dataclasses.fields(value)
        return type(value)(**{f.name: map_tensors(getattr(value, f.name), fn) for f in fields})
    raise TypeError(f"expected tensors, dataclasses of tensors or None, got {type(value)}")


def copy_into(static: Any, value: Any, name: str = "inputs") -> None:
    """Copy ``value``'s tensors into the same-shaped buffers of ``static`` (same layout)."""
    if static is None or value is None:
        if static is not value:
            raise ValueError(f"{name}: one of the captured and the given inputs is None")
        return
    if isinstance(static, torch.Tensor):
        if static.shape != value.shape:
            raise ValueError(
                f"{name}: shape {tuple(value.shape)} differs from the captured "
                f"{tuple(static.shape)}; the graph key must include every shape"
            )
        if value.device.type == "cpu" and static.device.type == "cuda":
            value = value.pin_memory()  # lets the copy run without stalling the host
        static.copy_(value, non_blocking=True)
        return
    for field in dataclasses.fields(static):
        copy_into(getattr(static, field.name), getattr(value, field.name),
                  f"{name}.{field.name}")


@dataclass
class _Captured:
    graph: torch.cuda.CUDAGraph
    inputs: Any
    output: torch.Tensor


class GraphRunner:
    """Runs ``program(inputs) → tensor``; as a CUDA graph per key when ``use_graphs``.

    Keeps at most ``max_graphs`` graphs (least recently used ones are dropped with their memory).
    """

    def __init__(self, device: torch.device, use_graphs: bool, max_graphs: int = 16) -> None:
        if use_graphs and device.type != "cuda":
            raise ValueError(f"CUDA graphs need a CUDA device, got {device}")
        self.device = device
        self.use_graphs = use_graphs
        self.max_graphs = max_graphs
        self._graphs: OrderedDict[Hashable, _Captured] = OrderedDict()

    @property
    def num_graphs(self) -> int:
        return len(self._graphs)

    def run(self, key: Hashable, program: Callable[[Inputs], torch.Tensor], inputs: Inputs
            ) -> torch.Tensor:
        """The program's output for ``inputs`` (a fresh tensor, safe to keep)."""
        if not self.use_graphs:
            return program(map_tensors(inputs, lambda t: t.to(self.device)))
        captured = self._graphs.get(key)
        if captured is None:
            captured = self._capture(program, inputs)
            self._graphs[key] = captured
            while len(self._graphs) > self.max_graphs:
                self._graphs.popitem(last=False)
        self._graphs.move_to_end(key)
        copy_into(captured.inputs, inputs)
        captured.graph.replay()
        return captured.output.clone()

    def _capture(self, program: Callable[[Inputs], torch.Tensor], inputs: Inputs) -> _Captured:
        """Warm up on a side stream (compiles, picks kernels, allocates workspaces), then
        capture; the captured call runs nothing, so the caller replays it once."""
        static = map_tensors(inputs, lambda t: t.to(self.device).clone())
        side = torch.cuda.Stream(self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            program(static)
        torch.cuda.current_stream(self.device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        # thread_local: other threads of the daemon may use CUDA while this one captures
        with torch.cuda.graph(graph, capture_error_mode="thread_local"):
            output = program(static)
        return _Captured(graph, static, output)
