"""Inference copies of the models (low precision, weight norm folded), ``torch.compile`` of the
repeated DiT block, and torch's on-disk compile cache.

Regional compilation: the 28 blocks of a DiT run the same code on parameters of the same shapes,
and dynamo treats module parameters as inputs, so one compiled block serves every block of both
DiTs; compiling the block instead of the whole DiT divides the compile time by about the depth.
The cache is torch's own: inductor's FX graph cache, the AOTAutograd cache and the Triton kernel
cache, all under ``TORCHINDUCTOR_CACHE_DIR``. They hold code that torch loads and runs, so the
folder must be private to the user.
"""

from __future__ import annotations

import copy
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.nn.functional as F
from semanticaudio.engine.components.base import AcousticCodec
from semanticaudio.engine.errors import EngineError
from semanticaudio.engine.models.dit import DiT
from torch import nn

MIN_RECOMPILE_LIMIT = 64  # one compiled block per (batch, bucket) shape; the default is 8
PERSISTENT_BATCH_MULTIPLE = 8  # torch asks cuDNN for its persistent LSTM only at batch 8k ≤ 128


def inference_copy(module: nn.Module, dtype: torch.dtype) -> nn.Module:
    """A frozen deep copy whose floating parameters are ``dtype``. Buffers keep their dtype
    (RoPE's frequencies stay float32: in bf16 the angles would drift by up to ~1 rad)."""
    twin = detached_copy(module).eval().requires_grad_(False)
    for parameter in twin.parameters():
        if parameter.is_floating_point():
            parameter.data = parameter.data.to(dtype)
    return twin


def detached_copy(module: nn.Module) -> nn.Module:
    """``copy.deepcopy`` that also copies modules with the old weight-norm hook, whose cached
    ``weight`` is a computed tensor (deepcopy refuses those); the copy gets a detached clone."""
    memo = {}
    for layer in module.modules():
        weight = getattr(layer, "weight", None)
        if hasattr(layer, "weight_g") and isinstance(weight, torch.Tensor):
            memo[id(weight)] = weight.detach().clone()
    return copy.deepcopy(module, memo)


def compile_blocks(dit: DiT, mode: str) -> None:
    """Compile each block in place; blocks share their compiled code (see the module doc)."""
    for block in dit.blocks:
        block.compile(dynamic=False, mode=mode)


def default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("semanticaudio")) / "torch-compile"


def configure_compile_cache(cache_dir: Path | None) -> Path:
    """Point torch's compile caches at a private folder and return it.

    ``cache_dir`` wins; else an existing ``TORCHINDUCTOR_CACHE_DIR``; else the user cache folder.
    """
    env = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    folder = Path(cache_dir) if cache_dir is not None else Path(env) if env else default_cache_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    check_private(folder)
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(folder)  # inductor reads it at each use
    import torch._dynamo.config as dynamo_config
    import torch._functorch.config as functorch_config
    import torch._inductor.config as inductor_config

    inductor_config.fx_graph_cache = True
    functorch_config.enable_autograd_cache = True
    dynamo_config.recompile_limit = max(dynamo_config.recompile_limit, MIN_RECOMPILE_LIMIT)
    return folder


def check_private(folder: Path) -> None:
    """Refuse a cache folder that another user owns or others may write (it holds code)."""
    info = folder.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise EngineError(f"compile cache {folder} belongs to another user; choose your own folder")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise EngineError(
            f"compile cache {folder} is writable by others (mode {oct(info.st_mode & 0o777)}); "
            f"torch runs code from it: `chmod go-w {folder}` or choose another folder"
        )


def fold_weight_norm(module: nn.Module) -> nn.Module:
    """Replace weight-normalised layers' (g, v) by the weight they make (same outputs, one
    parameter read instead of a norm per call). Works in place; returns ``module``."""
    from torch.nn.utils import parametrize

    for layer in module.modules():
        if hasattr(layer, "weight_g") and hasattr(layer, "weight_v"):
            torch.nn.utils.remove_weight_norm(layer)
        elif parametrize.is_parametrized(layer, "weight"):
            parametrize.remove_parametrizations(layer, "weight", leave_parametrized=True)
    return module


class LayeredLSTM(nn.Module):
    """An ``nn.LSTM`` (unidirectional, no projection, time first) run one layer per call in
    ``dtype``, with the batch padded on CUDA to a multiple of 8: the shape at which torch asks
    cuDNN for its persistent algorithm (``CUDNN_RNN_ALGO_PERSIST_STATIC``: the whole sequence in
    one kernel, the recurrent weights held on chip) instead of one matrix product and one cell
    kernel per time step. torch takes that algorithm only for float16, one layer, and sizes that
    are multiples of 128 up to 1024 (``aten/src/ATen/native/cudnn/RNN.cpp``, ``get_algo``); the
    published DAC-VAE watermark's two-layer LSTMs (512 wide, 150 steps a second) fit once split
    and padded. Same outputs as the original up to ``dtype``'s rounding: layers run in the same
    order, padded rows are independent and cut off. cuDNN keeps float16 gates in float32."""

    def __init__(self, lstm: nn.LSTM, dtype: torch.dtype) -> None:
        super().__init__()
        if lstm.bidirectional or lstm.proj_size or lstm.batch_first:
            raise ValueError("LayeredLSTM takes a unidirectional, time-first LSTM without "
                             f"projection, got {lstm}")
        self.layers = nn.ModuleList()
        for k in range(lstm.num_layers):
            width = lstm.input_size if k == 0 else lstm.hidden_size
            layer = nn.LSTM(width, lstm.hidden_size, 1, bias=lstm.bias)
            names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if lstm.bias else ())
            with torch.no_grad():
                for name in names:
                    getattr(layer, f"{name}_l0").copy_(getattr(lstm, f"{name}_l{k}"))
            self.layers.append(layer)
        device = lstm.weight_ih_l0.device
        self.layers.to(device=device, dtype=dtype).eval().requires_grad_(False)
        self.dtype = dtype

    def forward(
        self, x: torch.Tensor, hx: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """(T, B, C) → (T, B, hidden), (h_n, c_n) of (layers, B, hidden), as ``nn.LSTM``."""
        if hx is not None:
            raise ValueError("LayeredLSTM starts from zero states only (as the decoder calls it)")
        batch = x.shape[1]
        pad = -batch % PERSISTENT_BATCH_MULTIPLE if x.is_cuda else 0
        h = F.pad(x.to(self.dtype), (0, 0, 0, pad))
        finals, cells = [], []
        for layer in self.layers:
            h, (final, cell) = layer(h)
            finals.append(final[:, :batch])
            cells.append(cell[:, :batch])
        states = (torch.cat(finals).to(x.dtype), torch.cat(cells).to(x.dtype))
        return h[:, :batch].to(x.dtype), states


def layered_lstms(module: nn.Module, dtype: torch.dtype) -> nn.Module:
    """Replace every ``nn.LSTM`` inside ``module`` by a ``LayeredLSTM`` in ``dtype``; in place,
    returns ``module``."""
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.LSTM):
                setattr(parent, name, LayeredLSTM(child, dtype))
    return module


@contextmanager
def cudnn_settings(benchmark: bool | None, deterministic: bool | None) -> Iterator[None]:
    """cuDNN's algorithm choice for the block (None: as it is), restored afterwards. Only these
    two flags: ``torch.backends.cudnn.flags`` would also reset the fp32 precision setting."""
    cudnn = torch.backends.cudnn
    before = cudnn.benchmark, cudnn.deterministic
    if benchmark is not None:
        cudnn.benchmark = benchmark
    if deterministic is not None:
        cudnn.deterministic = deterministic
    try:
        yield
    finally:
        cudnn.benchmark, cudnn.deterministic = before


class FastDecodeCodec(AcousticCodec):
    """The pipeline's codec with a faster decode: a copy in ``dtype`` with weight norm folded,
    optionally compiled (dynamic lengths: one compile serves every duration). ``encode`` is the
    original's, unchanged.

    ``cudnn_benchmark`` and ``deterministic`` set cuDNN's algorithm choice during the decode
    (None, the default: as torch has it). On one H100 (10 s at paper size) neither made the bf16
    decode faster. Without them, the first decode of a length in a process can differ from the
    later ones (0.46 % relative L2 with the tiny test codec); from the second on, decodes repeat
    bit for bit (bench_speed.py's codec phase, docs/speed.md).

    ``lstm_dtype`` (None: ``dtype``) runs the decoder's LSTMs (the published watermark's) as
    ``LayeredLSTM`` in that dtype; float16 lets cuDNN run each layer as one persistent kernel.
    """

    def __init__(self, codec: AcousticCodec, dtype: torch.dtype, compile: bool,
                 cudnn_benchmark: bool | None = None, deterministic: bool | None = None,
                 lstm_dtype: torch.dtype | None = None) -> None:
        super().__init__()
        self.cudnn_benchmark, self.deterministic = cudnn_benchmark, deterministic
        self.plain = codec
        self.fast = fold_weight_norm(detached_copy(codec)).to(dtype).eval().requires_grad_(False)
        if lstm_dtype is not None:
            layered_lstms(self.fast, lstm_dtype)
        self.dtype = dtype
        self.sample_rate_hz = codec.sample_rate_hz
        self.hop_length = codec.hop_length
        self.latent_dim = codec.latent_dim
        decode = self.fast.decode
        self._decode = torch.compile(decode, dynamic=True) if compile else decode

    def encode(self, waveform: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        return self.plain.encode(waveform, *args, **kwargs)

    def decode(self, latent: torch.Tensor) -> torch.Tensor:
        """(B, num_frames, latent_dim) → float32 waveform (B, num_frames * hop_length)."""
        with cudnn_settings(self.cudnn_benchmark, self.deterministic):
            return self._decode(latent.to(self.dtype)).float()
