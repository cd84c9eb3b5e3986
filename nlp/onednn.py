"""fp32 Linear layers through oneDNN on CPU.

torch's `nn.Linear` on CPU calls MKL's sgemm, which on AMD EPYC (this project's machines)
ran at 114 GFLOP/s per core against 249 GFLOP/s for oneDNN's kernel on the same shapes
(MiniLM's 384x1536 projections, one thread): the sentiment model as a whole scored 1.5x
more texts/s with the swap, with probabilities equal to 2e-6. The oneDNN op is the one
torch's own compiler (inductor) emits for CPU linears; it is internal API, so each layer
is checked against `F.linear` when swapped and left alone if the op is missing or
disagrees.
"""

from __future__ import annotations

import logging

import torch
from torch import nn

log = logging.getLogger(__name__)


def _onednn_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    out: torch.Tensor = torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], "")
    return out


class OneDnnLinear(nn.Module):
    """An `nn.Linear` (same parameters, same output) computed by oneDNN."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.weight = linear.weight
        self.bias = linear.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _onednn_linear(x, self.weight, self.bias)


def _agrees(linear: nn.Linear) -> bool:
    probe = torch.randn(2, 3, linear.in_features, generator=torch.Generator().manual_seed(0))
    try:
        with torch.inference_mode():
            got = _onednn_linear(probe, linear.weight, linear.bias)
            want = nn.functional.linear(probe, linear.weight, linear.bias)
    except (RuntimeError, AttributeError, NotImplementedError):
        return False
    return got.shape == want.shape and torch.allclose(got, want, rtol=1e-4, atol=1e-4)


def use_onednn_linears(model: nn.Module) -> int:
    """Swap the fp32 CPU `nn.Linear` layers of `model` in place; returns how many were swapped."""
    if not torch.backends.mkldnn.is_available():  # type: ignore[no-untyped-call]
        log.info("oneDNN is not available in this torch build; keeping torch's Linear layers")
        return 0
    targets = [
        (name, module)
        for name, module in model.named_modules()
        if type(module) is nn.Linear and module.weight.dtype == torch.float32 and module.weight.device.type == "cpu"
    ]
    for name, linear in targets:
        if not _agrees(linear):
            log.warning(
                "oneDNN linear missing or disagreeing on %s; keeping torch's Linear layers", name or "the model"
            )
            return 0
    for name, linear in targets:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, OneDnnLinear(linear))
    return len(targets)
