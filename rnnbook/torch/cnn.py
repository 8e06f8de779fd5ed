"""A small 2-D convolutional network for images: the "spatial / local" column of the comparison.

The comparison chapter reads scikit-learn's 8 x 8 digits two ways: row by row, as a sequence of
``T = 8`` steps of ``d_x = 8`` pixels, by a recurrent network, and as an image by this network.
Each block is a ``k x k`` convolution with zero padding (``same`` size), a ReLU and a ``2 x 2``
max-pool, which halves the height and the width:

    a = MaxPool_2x2(ReLU(W * x + b))        (W: C_out x C_in x k x k, shared over all positions)

and a linear read-out maps the last block's flattened feature maps to the class scores. The
convolution's weights are shared across positions and each output sees only a ``k x k``
neighbourhood of its input: the network is built for data whose structure is *local* and
*the same everywhere* (a stroke is a stroke wherever it lies), which is what "spatial" means
in the comparison table. Shifting the input by a multiple of the pooling stride shifts the
feature maps by the same amount (away from the borders), and each feature of the last block sees
a window of ``ConvNet2d.receptive_field`` pixels on a side, nothing outside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn
from torch.nn import functional as F

from .._shapes import positive_int

__all__ = ["ConvNet2d", "conv_receptive_field"]


def conv_receptive_field(kernel_size: int, num_blocks: int, pool: int = 2) -> int:
    """The side, in input pixels, of the window that one feature of the last block can see.

    Each block is a stride-1 ``k x k`` convolution then a ``pool x pool`` max-pool of stride
    ``pool``. With ``j`` the distance in input pixels between neighbouring features (1 at the
    input), a convolution widens the window by ``(k - 1) j`` and a pool by ``(pool - 1) j``,
    then multiplies ``j`` by ``pool``.
    """
    k = positive_int("kernel_size", kernel_size)
    blocks = positive_int("num_blocks", num_blocks)
    p = positive_int("pool", pool)
    side, jump = 1, 1
    for _ in range(blocks):
        side += (k - 1) * jump
        side += (p - 1) * jump
        jump *= p
    return side


class ConvNet2d(nn.Module):
    """``ConvNet2d(image_size=(8, 8), num_classes=10, channels=(8, 16), kernel_size=3, in_channels=1, device=None, dtype=None)``.

    ``forward(x)`` maps images ``(N, H, W)`` (one channel) or ``(N, C_in, H, W)`` to class
    scores ``(N, num_classes)``. Parameters: ``blocks.{l}.weight`` ``(C_{l+1}, C_l, k, k)`` and
    ``blocks.{l}.bias`` ``(C_{l+1})`` for each convolution (``C_0 = in_channels``), and
    ``decoder.weight`` ``(num_classes, C_L H_L W_L)``, ``decoder.bias``, where ``H_L = H // 2^L``
    and ``W_L = W // 2^L`` after ``L = len(channels)`` pools. The kernel size must be odd (so
    that zero padding of ``k // 2`` keeps the size), and ``H`` and ``W`` divisible by ``2^L``.
    """

    def __init__(
        self,
        image_size: Sequence[int] = (8, 8),
        num_classes: int = 10,
        channels: Sequence[int] = (8, 16),
        kernel_size: int = 3,
        in_channels: int = 1,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if len(image_size) != 2:
            raise ValueError(f"image_size must be (H, W), got {tuple(image_size)}")
        height, width = (positive_int("image_size[]", s) for s in image_size)
        widths = [
            positive_int("in_channels", in_channels),
            *(positive_int("channels[]", c) for c in channels),
        ]
        if len(widths) < 2:
            raise ValueError("channels must name at least one block")
        k = positive_int("kernel_size", kernel_size)
        if k % 2 == 0:
            raise ValueError(f"kernel_size must be odd (same-size padding), got {k}")
        scale = 2 ** (len(widths) - 1)
        if height % scale or width % scale:
            raise ValueError(
                f"image_size {height} x {width} must be divisible by 2^{len(widths) - 1} = {scale}"
            )
        factory = {"device": device, "dtype": dtype}
        self.image_size = (height, width)
        self.in_channels = widths[0]
        self.kernel_size = k
        self.blocks = nn.ModuleList(
            nn.Conv2d(c_in, c_out, k, padding=k // 2, **factory)
            for c_in, c_out in zip(widths[:-1], widths[1:])
        )
        self.decoder = nn.Linear(
            widths[-1] * (height // scale) * (width // scale),
            positive_int("num_classes", num_classes),
            **factory,
        )
        self.receptive_field = conv_receptive_field(k, len(self.blocks))

    def _check(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"input must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() == 3 and self.in_channels == 1:
            x = x[:, None]
        expected = (self.in_channels, *self.image_size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            single = (
                f"(N, {self.image_size[0]}, {self.image_size[1]}) or "
                if self.in_channels == 1
                else ""
            )
            raise ValueError(
                f"input must have shape {single}(N, {', '.join(map(str, expected))}), got {tuple(x.shape)}"
            )
        return x

    def features(self, x: Tensor) -> list[Tensor]:
        """The feature maps after each block (convolution, ReLU, max-pool): ``(N, C_l, H / 2^l, W / 2^l)``."""
        out = self._check(x)
        maps = []
        for conv in self.blocks:
            out = F.max_pool2d(F.relu(conv(out)), 2)
            maps.append(out)
        return maps

    def forward(self, x: Tensor) -> Tensor:
        """``(N, H, W)`` or ``(N, C_in, H, W)`` -> class scores ``(N, num_classes)``."""
        last = self.features(x)[-1]
        return self.decoder(last.flatten(1))

    def extra_repr(self) -> str:
        return f"image_size={self.image_size}, receptive_field={self.receptive_field}"
