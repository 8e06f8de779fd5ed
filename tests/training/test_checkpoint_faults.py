"""Fault injection on real checkpoints of both backends: bit flips, overwritten bytes and truncations at
many seeded offsets, and foreign files. Every damaged file must give CheckpointError (one line, naming the
file) and leave the model untouched; a change the readers never look at (zip padding, timestamps) may
load, but then what loads must equal what was saved, bit for bit. Never a traceback, never a silent load."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import rnnbook.numpy as rnp
from rnnbook.data.text import Vocabulary, split_train_val
from rnnbook.numpy.optim import Adam
from rnnbook.training.checkpoint import (
    CheckpointError,
    checkpoint_info,
    load_checkpoint,
    save_checkpoint,
)
from rnnbook.training.lm import train

TEXT = "the quick brown fox jumps over the lazy dog. " * 20
VOCAB = Vocabulary(TEXT)
TRAIN, VAL = split_train_val(VOCAB.encode(TEXT))
SIZES = dict(seq_len=5, batch_size=2)


def _numpy(seed=0):
    model = rnp.CharModel(len(VOCAB), 6, cell="lstm", seed=seed)
    return model, Adam(model.params, lr=0.01)


def _torch(seed=0):
    torch = pytest.importorskip("torch")
    import rnnbook.torch as rt

    torch.manual_seed(seed)
    model = rt.CharModel(len(VOCAB), 6, cell="lstm", dtype=torch.float64)
    return model, torch.optim.Adam(model.parameters(), lr=0.01)


def _snapshot(model, optimizer):
    """Everything a load writes into, as NumPy arrays keyed by name."""
    if hasattr(model, "params"):
        out = {f"model/{k}": v.copy() for k, v in model.params.items()}
        out.update(
            {
                f"optim/{k}": np.array(v, copy=True)
                for k, v in optimizer.state_dict().items()
                if isinstance(v, np.ndarray | int | float)
            }
        )
        return out
    out = {
        f"model/{k}": v.detach().clone().numpy() for k, v in model.state_dict().items()
    }
    for pid, st in optimizer.state_dict()["state"].items():
        out.update(
            {f"optim/{pid}/{k}": v.detach().clone().numpy() for k, v in st.items()}
        )
    return out


def _equal(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.fixture(params=["numpy", "torch"])
def saved(request, tmp_path):
    model, opt = _numpy() if request.param == "numpy" else _torch()
    history = train(
        model,
        TRAIN,
        VAL,
        steps=4,
        optimizer=opt,
        progress=False,
        eval_every=None,
        **SIZES,
    )
    path = tmp_path / "good.ckpt"
    save_checkpoint(
        path,
        model,
        opt,
        history.state.step,
        history.state.to_checkpoint(),
        vocab=VOCAB,
        extra={"config": {"note": "x"}},
    )
    fresh = (_numpy if request.param == "numpy" else _torch)(seed=5)
    load_checkpoint(path, *fresh)
    return request.param, path, path.read_bytes(), _snapshot(*fresh)


def _try(backend, path, expected):
    """'refused', 'same' (loaded, identical to what was saved), or raise for anything else."""
    model, opt = _numpy(seed=9) if backend == "numpy" else _torch(seed=9)
    before = _snapshot(model, opt)
    try:
        load_checkpoint(path, model, opt)
        checkpoint_info(path)
    except CheckpointError as err:
        message = str(err)
        assert str(path) in message and "\n" not in message, message
        assert _equal(_snapshot(model, opt), before), (
            "a refused checkpoint changed the model"
        )
        return "refused"
    if not _equal(_snapshot(model, opt), expected):
        raise AssertionError(
            f"{path.name}: a damaged checkpoint loaded silently with different content"
        )
    return "same"


def _inject(saved, tmp_path, kind, count, seed):
    backend, _, raw, expected = saved
    rng = np.random.default_rng(seed)
    outcomes = collections.Counter()
    path = tmp_path / f"{kind}.ckpt"
    for _ in range(count):
        data = bytearray(raw)
        if kind == "flip":
            offset = int(rng.integers(len(data)))
            data[offset] ^= 1 << int(rng.integers(8))
        elif kind == "overwrite":
            offset = int(rng.integers(len(data) - 8))
            data[offset : offset + 8] = rng.bytes(8)
        else:  # truncate
            data = data[: int(rng.integers(len(data)))]
        path.write_bytes(bytes(data))
        outcomes[_try(backend, path, expected)] += 1
    return outcomes


@pytest.mark.parametrize(
    "kind, count", [("flip", 300), ("overwrite", 150), ("truncate", 60)]
)
def test_injected_faults_never_load_silently(saved, tmp_path, kind, count):
    outcomes = _inject(
        saved,
        tmp_path,
        kind,
        count,
        seed={"flip": 1, "overwrite": 2, "truncate": 3}[kind],
    )
    assert sum(outcomes.values()) == count
    # Most of a checkpoint is content; only zip bookkeeping that the readers ignore may change harmlessly.
    assert outcomes["refused"] >= 0.6 * count, outcomes
    if kind == "truncate":
        assert outcomes["refused"] == count, (
            outcomes
        )  # a cut file always loses its central directory


def test_every_single_content_bit_is_covered(saved, tmp_path):
    """Flip each bit of the stored arrays' bytes in turn (every bit of the first 64 bytes of data):
    all refused, since those bytes are the model's numbers."""
    backend, good, raw, expected = saved
    import zipfile

    with zipfile.ZipFile(good) as z:
        info = next(
            i
            for i in z.infolist()
            if ("model/" in i.filename and i.filename.endswith(".npy"))
            or "/data/0" in i.filename
        )
    header = info.header_offset
    start = (
        header
        + 30
        + int.from_bytes(raw[header + 26 : header + 28], "little")
        + int.from_bytes(raw[header + 28 : header + 30], "little")
    )
    if info.filename.endswith(".npy"):
        start += info.file_size - min(
            info.file_size, 64
        )  # the array's data, after its .npy header
    path = tmp_path / "bit.ckpt"
    for offset in range(start, start + min(64, info.file_size)):
        for bit in range(8):
            data = bytearray(raw)
            data[offset] ^= 1 << bit
            path.write_bytes(bytes(data))
            assert _try(backend, path, expected) == "refused", (offset, bit)


@pytest.mark.parametrize(
    "content",
    [b"", b"PK\x05\x06" + b"\x00" * 18, b"hello world\n" * 50, bytes(range(256)) * 8],
    ids=["empty", "empty zip", "text", "binary"],
)
def test_foreign_files(tmp_path, content):
    path = tmp_path / "foreign.ckpt"
    path.write_bytes(content)
    for make in (_numpy, _torch):
        model, opt = make()
        with pytest.raises(CheckpointError, match="foreign.ckpt"):
            load_checkpoint(path, model, opt)
