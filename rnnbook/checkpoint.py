"""Checkpoints that resume training exactly, for both backends, loaded without unpickling arbitrary objects.

A checkpoint holds the model's parameters, the optimiser's state (buffers and step count),
the global step, the training loop's state (the data position and the carried hidden
state: truncated BPTT resumes mid-text with the state it had), the vocabulary and any
JSON-serialisable ``extra`` (for example the model's configuration).

* NumPy models: one ``np.savez`` file; arrays under ``model/<name>``, ``optim/<key>`` and
  ``state/<key>`` (``state/<key>/<i>`` for a tuple such as an LSTM's ``(h, c)``), and every
  number and string in a JSON document stored as the NumPy unicode array ``meta``. Loaded
  with ``np.load(..., allow_pickle=False)``.
* Torch models: ``torch.save`` of a dict of tensors, numbers and strings (the model's and the
  optimiser's ``state_dict``), loaded with ``torch.load(..., weights_only=True)``.

Files are written to a temporary name and renamed, so an interrupted save never leaves a
truncated checkpoint behind.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .data import Vocabulary
from .lm import is_torch_model

__all__ = ["save_checkpoint", "load_checkpoint", "checkpoint_info", "FORMAT", "VERSION"]

FORMAT = "rnnbook-checkpoint"
VERSION = 1


def _json_text(value: Any, name: str) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be JSON-serialisable (dicts, lists, str, numbers, None): {err}") from None


def _check_step(step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, int | np.integer) or step < 0:
        raise ValueError(f"step must be an int >= 0, got {step!r}")
    return int(step)


def _atomic_write(path: Path, write: Any) -> None:
    """Call ``write(file)`` on a temporary file next to ``path``, then rename it to ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _detect_backend(path: Path) -> str:
    """``"numpy"`` or ``"torch"`` from the zip members; ValueError if neither."""
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {str(path)!r}")
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except zipfile.BadZipFile:
        raise ValueError(f"{str(path)!r} is not an rnnbook checkpoint (not a zip archive)") from None
    if "meta.npy" in names:
        return "numpy"
    if any(n.endswith("data.pkl") for n in names):
        return "torch"
    raise ValueError(f"{str(path)!r} is not an rnnbook checkpoint")


# --------------------------------------------------------------------------- NumPy backend
def _split_state(state: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any], dict[str, int]]:
    """Loop state -> (arrays keyed ``state/...``, JSON scalars, array layout: -1 one array, k a k-tuple)."""
    arrays: dict[str, np.ndarray] = {}
    scalars: dict[str, Any] = {}
    layout: dict[str, int] = {}
    for key, value in state.items():
        if isinstance(value, tuple | list):
            layout[key] = len(value)
            arrays.update({f"state/{key}/{i}": np.asarray(v) for i, v in enumerate(value)})
        elif isinstance(value, np.ndarray):
            layout[key] = -1
            arrays[f"state/{key}"] = value
        else:
            scalars[key] = value
    _json_text(scalars, "state values other than arrays")
    return arrays, scalars, layout


def _save_numpy(path: Path, model: Any, optimizer: Any, meta: dict[str, Any], state: Mapping[str, Any]) -> None:
    from .numpy.optim import Optimizer

    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"a NumPy model needs an rnnbook.numpy.optim optimizer, got {type(optimizer).__name__}")
    arrays = {f"model/{k}": v for k, v in model.state_dict().items()}
    optim_scalars = {}
    for key, value in optimizer.state_dict().items():
        if isinstance(value, np.ndarray):
            arrays[f"optim/{key}"] = value
        else:
            optim_scalars[key] = value
    state_arrays, state_scalars, layout = _split_state(state)
    arrays.update(state_arrays)
    meta.update(optimizer=type(optimizer).__name__, optim=optim_scalars, state=state_scalars, state_layout=layout)
    arrays["meta"] = np.array(json.dumps(meta))  # a 0-d unicode array: no pickle needed to read it
    _atomic_write(path, lambda f: np.savez(f, **arrays))


def _load_numpy(path: Path, model: Any, optimizer: Any) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    meta = json.loads(str(data.pop("meta")))
    _check_meta(meta, path, "numpy")
    if meta["optimizer"] != type(optimizer).__name__:
        raise ValueError(f"checkpoint holds a {meta['optimizer']} optimizer state, got a {type(optimizer).__name__}")
    model.load_state_dict({k[len("model/"):]: v for k, v in data.items() if k.startswith("model/")})
    optim_state = {k[len("optim/"):]: v for k, v in data.items() if k.startswith("optim/")}
    optimizer.load_state_dict({**meta["optim"], **optim_state})
    state: dict[str, Any] = dict(meta["state"])
    for key, count in meta["state_layout"].items():
        state[key] = data[f"state/{key}"] if count == -1 else tuple(data[f"state/{key}/{i}"] for i in range(count))
    return {"step": meta["step"], "state": state, "meta": meta}


# --------------------------------------------------------------------------- Torch backend
def _detach(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, tuple | list):
        return tuple(_detach(v) for v in value)
    return value


def _save_torch(path: Path, model: Any, optimizer: Any, meta: dict[str, Any], state: Mapping[str, Any]) -> None:
    import torch

    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"a torch model needs a torch.optim optimizer, got {type(optimizer).__name__}")
    meta.update(optimizer=type(optimizer).__name__)
    payload = {
        "meta": json.dumps(meta),
        "model": model.state_dict(),
        "optim": optimizer.state_dict(),
        "state": {k: _detach(v) for k, v in state.items()},
    }
    _atomic_write(path, lambda f: torch.save(payload, f))


def _load_torch(path: Path, model: Any, optimizer: Any) -> dict[str, Any]:
    import torch

    device = next(model.parameters()).device
    payload = torch.load(path, map_location=device, weights_only=True)
    meta = json.loads(payload["meta"])
    _check_meta(meta, path, "torch")
    if meta["optimizer"] != type(optimizer).__name__:
        raise ValueError(f"checkpoint holds a {meta['optimizer']} optimizer state, got a {type(optimizer).__name__}")
    model.load_state_dict(payload["model"])
    optimizer.load_state_dict(payload["optim"])
    return {"step": meta["step"], "state": dict(payload["state"]), "meta": meta}


# --------------------------------------------------------------------------- public API
def _check_meta(meta: Any, path: Path, backend: str) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not an rnnbook checkpoint")
    if meta.get("version") != VERSION:
        raise ValueError(f"{str(path)!r} has checkpoint version {meta.get('version')}, this rnnbook reads {VERSION}")
    if meta.get("backend") != backend:
        raise ValueError(
            f"{str(path)!r} was saved from a {meta.get('backend')} model, cannot load it into a {backend} model"
        )


def save_checkpoint(
    path: str | os.PathLike[str],
    model: Any,
    optimizer: Any,
    step: int,
    state: Mapping[str, Any],
    vocab: Vocabulary | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Save everything needed to resume training exactly.

    Args:
        path: the file to write (written as given, no suffix added).
        model: a NumPy model (``state_dict()``/``load_state_dict()``, for example
            :class:`rnnbook.numpy.CharModel`) or a ``torch.nn.Module``.
        optimizer: an :mod:`rnnbook.numpy.optim` optimiser for a NumPy model, a ``torch.optim``
            one for a torch model.
        step: optimiser steps taken so far.
        state: the training loop's state, ``name -> value``: arrays or tensors, tuples of them
            (an LSTM's ``(h, c)``), None, numbers or strings; for :func:`rnnbook.train.train`
            ``{"position": row in the training streams, "hidden": carried state}``.
        vocab: saved as JSON when given.
        extra: any JSON-serialisable mapping (model configuration, notes).
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a mapping name -> value, got {type(state).__name__}")
    if vocab is not None and not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab must be a Vocabulary or None, got {type(vocab).__name__}")
    torch_model = is_torch_model(model)
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "backend": "torch" if torch_model else "numpy",
        "step": _check_step(step),
        "vocab": None if vocab is None else vocab.to_json(),
        "extra": json.loads(_json_text(dict(extra) if extra is not None else None, "extra")),
    }
    (_save_torch if torch_model else _save_numpy)(Path(path), model, optimizer, meta, state)


def load_checkpoint(path: str | os.PathLike[str], model: Any, optimizer: Any) -> dict[str, Any]:
    """Load a checkpoint into ``model`` and ``optimizer`` (built with the same shapes) in place.

    Returns:
        ``{"step": int, "state": dict, "vocab": Vocabulary or None, "extra": dict or None}``,
        with ``state`` as it was saved (NumPy arrays for a NumPy model, tensors on the model's
        device for a torch model).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a checkpoint, a checkpoint of the other backend, or names/shapes
            that do not match ``model`` / ``optimizer``.
    """
    p = Path(path)
    backend = _detect_backend(p)
    want = "torch" if is_torch_model(model) else "numpy"
    if backend != want:
        raise ValueError(f"{str(p)!r} was saved from a {backend} model, cannot load it into a {want} model")
    loaded = (_load_torch if want == "torch" else _load_numpy)(p, model, optimizer)
    meta = loaded["meta"]
    vocab = None if meta["vocab"] is None else Vocabulary.from_json(meta["vocab"])
    return {"step": int(loaded["step"]), "state": loaded["state"], "vocab": vocab, "extra": meta["extra"]}


def checkpoint_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """What a checkpoint says about itself, without a model: ``backend``, ``step``, ``optimizer``,
    ``vocab`` (a :class:`Vocabulary` or None) and ``extra``; enough to rebuild the model it fits."""
    p = Path(path)
    backend = _detect_backend(p)
    if backend == "numpy":
        with np.load(p, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
    else:
        import torch

        meta = json.loads(torch.load(p, map_location="cpu", weights_only=True)["meta"])
    _check_meta(meta, p, backend)
    vocab = None if meta["vocab"] is None else Vocabulary.from_json(meta["vocab"])
    return {
        "backend": backend, "step": int(meta["step"]), "optimizer": meta["optimizer"],
        "vocab": vocab, "extra": meta["extra"],
    }
