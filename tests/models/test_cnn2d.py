"""rnnbook.torch.ConvNet2d, the small 2-D CNN of the comparison chapter, against independent reasoning.

Parameter counts from the layer shapes written out by hand, the receptive field from the
windows of the convolutions and pools counted on a grid, shift equivariance of the first block,
locality (no output depends on a pixel outside its window), and the read-out as a plain matrix
product of the flattened feature maps.
"""

import functools
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import rnnbook.torch as rt  # noqa: E402
from rnnbook.training.supervised import fit  # noqa: E402

F64 = torch.float64


def test_parameter_count_by_hand():
    net = rt.ConvNet2d((8, 8), 10, channels=(8, 16), kernel_size=3)
    conv1 = 8 * 1 * 3 * 3 + 8
    conv2 = 16 * 8 * 3 * 3 + 16
    readout = 10 * (16 * 2 * 2) + 10  # two pools: 8 x 8 -> 4 x 4 -> 2 x 2
    assert sum(p.numel() for p in net.parameters()) == conv1 + conv2 + readout == 1898
    wide = rt.ConvNet2d((12, 4), 3, channels=(5,), kernel_size=5, in_channels=2)
    assert (
        sum(p.numel() for p in wide.parameters())
        == (5 * 2 * 25 + 5) + 3 * (5 * 6 * 2) + 3
    )


@pytest.mark.parametrize("shape", [(5, 8, 8), (5, 1, 8, 8)])
def test_output_shape_and_one_channel_images(shape):
    torch.manual_seed(0)
    net = rt.ConvNet2d(dtype=F64)
    x = torch.rand(shape, dtype=F64)
    out = net(x)
    assert out.shape == (5, 10)
    torch.testing.assert_close(net(x.reshape(5, 1, 8, 8)), out, rtol=0, atol=0)


def test_readout_is_a_linear_map_of_the_flattened_last_features():
    torch.manual_seed(1)
    net = rt.ConvNet2d(dtype=F64)
    x = torch.rand(4, 8, 8, dtype=F64)
    last = net.features(x)[-1]
    assert last.shape == (4, 16, 2, 2)
    by_hand = last.reshape(4, -1) @ net.decoder.weight.T + net.decoder.bias
    torch.testing.assert_close(net(x), by_hand, rtol=0, atol=1e-12)


def _window_side_by_counting(kernel_size, blocks, size=64):
    """Side of the input window of the centre feature of the last block, by marking pixels on a grid."""
    # Start with the one centre feature at the last level and walk back through pools and convolutions.
    half = kernel_size // 2
    side_at_level = size // 2**blocks
    rows = {side_at_level // 2}
    for _ in range(blocks):
        rows = {
            2 * r + d for r in rows for d in (0, 1)
        }  # a 2 x 2 pool reads rows 2r and 2r + 1
        rows = {
            r + d for r in rows for d in range(-half, half + 1)
        }  # a same-padded k x k convolution
    return max(rows) - min(rows) + 1


@pytest.mark.parametrize("kernel_size,blocks", [(3, 1), (3, 2), (5, 2), (3, 3)])
def test_receptive_field_formula_against_counting(kernel_size, blocks):
    assert rt.conv_receptive_field(kernel_size, blocks) == _window_side_by_counting(
        kernel_size, blocks
    )


def test_no_feature_depends_on_a_pixel_outside_its_window():
    torch.manual_seed(2)
    net = rt.ConvNet2d((32, 32), 3, channels=(4, 4), kernel_size=3, dtype=F64)
    with torch.no_grad():
        for conv in net.blocks:
            conv.bias.fill_(
                5.0
            )  # every ReLU active, so the gradient reaches the whole window
    x = torch.rand(1, 32, 32, dtype=F64, requires_grad=True)
    last = net.features(x)[-1]  # (1, 4, 8, 8)
    i, j = 3, 4
    (grad,) = torch.autograd.grad(last[0, :, i, j].sum(), x)
    support = np.argwhere(grad[0].numpy() != 0)
    assert support.size  # it does depend on something
    R = net.receptive_field
    assert R == 10
    # Feature i reads conv-2 rows 2i, 2i + 1 (16 x 16 grid), which read pooled rows 2i - 1 .. 2i + 2,
    # which read conv-1 rows 4i - 2 .. 4i + 5, which read input rows 4i - 3 .. 4i + 6: 10 rows.
    lo_r, lo_c = 4 * i - 3, 4 * j - 3
    assert support[:, 0].min() >= lo_r and support[:, 0].max() < lo_r + R
    assert support[:, 1].min() >= lo_c and support[:, 1].max() < lo_c + R
    # and a pixel outside that window changes nothing, exactly
    with torch.no_grad():
        moved = x.detach().clone()
        moved[0, lo_r + R, :] += 1.0
        moved[0, :, lo_c - 1] += 1.0
        assert torch.equal(
            net.features(moved)[-1][0, :, i, j], last[0, :, i, j].detach()
        )


def test_first_block_is_shift_equivariant_by_the_pool_stride():
    torch.manual_seed(3)
    net = rt.ConvNet2d((16, 16), 2, channels=(6,), kernel_size=3, dtype=F64)
    x = torch.zeros(2, 16, 16, dtype=F64)
    x[:, 3:9, 2:8] = torch.rand(2, 6, 6, dtype=F64)  # content away from the borders
    shifted = torch.roll(
        x, shifts=(2, 4), dims=(1, 2)
    )  # by (2, 4) pixels: (1, 2) pooled features
    maps, maps_shifted = net.features(x)[0], net.features(shifted)[0]
    torch.testing.assert_close(
        maps_shifted[:, :, 1:, 2:], maps[:, :, :-1, :-2], rtol=0, atol=1e-12
    )


def test_bad_arguments_and_input():
    with pytest.raises(ValueError, match="odd"):
        rt.ConvNet2d(kernel_size=2)
    with pytest.raises(ValueError, match="divisible"):
        rt.ConvNet2d((6, 8), channels=(4, 4, 4))
    with pytest.raises(ValueError, match="at least one block"):
        rt.ConvNet2d(channels=())
    net = rt.ConvNet2d()
    with pytest.raises(ValueError, match=r"\(N, 8, 8\)"):
        net(torch.zeros(3, 8, 7))
    with pytest.raises(TypeError):
        net(np.zeros((3, 8, 8)))


def test_picklable_builder_and_it_learns_a_local_pattern():
    build = functools.partial(rt.ConvNet2d, (8, 8), 2, channels=(4,), dtype=F64)
    build = pickle.loads(pickle.dumps(build))  # what fit_seeds sends to its workers
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 0.2, (256, 8, 8))
    y = rng.integers(0, 2, 256)
    rows, cols = rng.integers(0, 7, 256), rng.integers(0, 7, 256)
    for n in range(
        256
    ):  # class 1: a bright horizontal bar of 2 pixels, class 0: a vertical one
        if y[n]:
            x[n, rows[n], cols[n] : cols[n] + 2] = 1.0
        else:
            x[n, rows[n] : rows[n] + 2, cols[n]] = 1.0
    torch.manual_seed(0)
    net = build()
    fit(
        net,
        x[:192],
        y[:192],
        loss="cross_entropy",
        steps=150,
        batch_size=32,
        lr=1e-2,
        seed=0,
        progress=False,
    )
    with torch.no_grad():
        accuracy = float(
            (net(torch.as_tensor(x[192:])).argmax(1).numpy() == y[192:]).mean()
        )
    assert accuracy > 0.95
