"""Checkpoints that resume training exactly, detect damage, and load without unpickling arbitrary objects.

A checkpoint holds the model's parameters, the optimiser's state (buffers and step count),
the global step, the training loop's state (the data position and the carried hidden
state: truncated BPTT resumes mid-text with the state it had), the vocabulary and any
JSON-serialisable ``extra`` (for example the model's configuration and the identity of the
text it was trained on).

* NumPy models: one ``np.savez`` file; arrays under ``model/<name>``, ``optim/<key>`` and
  ``state/<key>`` (``state/<key>/<i>`` for a tuple such as an LSTM's ``(h, c)``), and every
  number and string in a JSON document stored as the NumPy unicode array ``meta``. Loaded
  with ``np.load(..., allow_pickle=False)``.
* Torch models: ``torch.save`` of a dict of tensors, numbers and strings (the model's and the
  optimiser's ``state_dict``), loaded with ``torch.load(..., weights_only=True)``, which
  refuses to build any object but tensors and plain containers.

**Integrity.** The header (``meta``) lists a SHA-256 digest of every stored array or tensor
(its dtype, shape and bytes) and of the layout of every other value (the optimiser's
hyper-parameters, for example), and the header's own digest is stored beside it. Loading
recomputes them all: a single flipped bit anywhere in the content is reported, never loaded.

**Errors.** Every way a file can fail to be a usable checkpoint (missing, not a checkpoint, a
plain ``torch.save(model.state_dict())``, truncated, damaged, a pickle that carries code, a
checkpoint of another version or backend, shapes that do not fit the model) raises
:class:`CheckpointError`, a ``ValueError`` whose one-line message names the file and what is
wrong (``FileNotFoundError`` for a missing file).

**Atomic saves.** A checkpoint is written to a hidden temporary file beside the target and
renamed into place only when complete, so an interrupted save, even ``kill -9``, leaves the
previous checkpoint intact; the temporary file of a killed save is removed by the next save
(:func:`remove_stale_temporaries`).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..data.text import Vocabulary
from .loop import is_torch_model

__all__ = [
    "save_checkpoint",
    "load_checkpoint",
    "checkpoint_info",
    "CheckpointError",
    "remove_stale_temporaries",
    "FORMAT",
    "VERSION",
]

FORMAT = "rnnbook-checkpoint"
VERSION = 2
"""Version 2 added the integrity digests; version 1 files are refused with a message."""


class CheckpointError(ValueError):
    """A file that is not a usable checkpoint; the message names the file and what is wrong."""


def _fail(path: Path, what: str) -> CheckpointError:
    return CheckpointError(f"{str(path)!r}: {what}")


def _json_text(value: Any, name: str) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be JSON-serialisable (dicts, lists, str, numbers, None): {err}"
        ) from None


def _check_step(step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, int | np.integer) or step < 0:
        raise ValueError(f"step must be an int >= 0, got {step!r}")
    return int(step)


# --------------------------------------------------------------------------- digests
def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _array_digest(arr: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and bytes."""
    arr = np.ascontiguousarray(arr)
    return _sha256(f"{arr.dtype.str}|{arr.shape}|".encode() + arr.tobytes())


def _tensor_digest(t: Any) -> str:
    """SHA-256 of a tensor's dtype, shape and bytes (any dtype, any device)."""
    import torch

    flat = t.detach().cpu().contiguous().reshape(-1)
    raw = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
    return _sha256(f"{t.dtype}|{tuple(t.shape)}|".encode() + raw)


def _flatten(value: Any, prefix: str, leaves: dict[str, Any]) -> Any:
    """The JSON skeleton of a nested dict/list/tuple, with every array or tensor moved to
    ``leaves[path]`` and replaced by ``{"@leaf": path}``."""
    if isinstance(value, Mapping):
        return {str(k): _flatten(v, f"{prefix}/{k}", leaves) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_flatten(v, f"{prefix}/{i}", leaves) for i, v in enumerate(value)]
    if isinstance(value, np.ndarray) or type(value).__module__.startswith("torch"):
        leaves[prefix] = value
        return {"@leaf": prefix}
    return value


def _digests(parts: Mapping[str, Any]) -> dict[str, str]:
    """``{path: digest}`` for every array or tensor in ``parts`` and ``{name/@skeleton: digest}``
    for the rest of each part (numbers, strings, the container layout)."""
    out: dict[str, str] = {}
    for name, part in parts.items():
        leaves: dict[str, Any] = {}
        skeleton = _flatten(part, name, leaves)
        out[f"{name}/@skeleton"] = _sha256(
            json.dumps(skeleton, sort_keys=True, default=repr).encode()
        )
        for path, leaf in leaves.items():
            out[path] = (
                _array_digest(leaf)
                if isinstance(leaf, np.ndarray)
                else _tensor_digest(leaf)
            )
    return out


def _verify(path: Path, stored: Any, parts: Mapping[str, Any]) -> None:
    """CheckpointError unless ``parts`` hash to exactly the ``stored`` digests."""
    if not isinstance(stored, dict):
        raise _fail(path, "damaged: its header has no digests")
    actual = _digests(parts)
    for key in sorted(set(stored) | set(actual)):
        if stored.get(key) != actual.get(key):
            what = key.replace("/@skeleton", " (values other than arrays)")
            raise _fail(path, f"damaged: {what} does not match its checksum")


def _check_header(path: Path, meta_text: Any, meta_digest: Any) -> dict[str, Any]:
    """The parsed header, after checking its own digest, format and version."""
    if not isinstance(meta_text, str):
        raise _fail(path, "not an rnnbook checkpoint (no header)")
    try:
        meta = json.loads(meta_text)
    except ValueError:
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        if meta_digest is not None and meta_digest != _sha256(meta_text.encode()):
            raise _fail(path, "damaged: its header does not match its checksum")
        raise _fail(path, "not an rnnbook checkpoint")
    version_error = _fail(
        path,
        f"checkpoint version {meta.get('version')} (written by another rnnbook); this one "
        f"reads version {VERSION}",
    )
    if meta_digest is None and meta.get("version") != VERSION:
        raise version_error  # version 1 stored no digest
    if meta_digest != _sha256(meta_text.encode()):
        raise _fail(path, "damaged: its header does not match its checksum")
    if meta.get("version") != VERSION:
        raise version_error
    return meta


# --------------------------------------------------------------------------- files
def _temporary_name(path: Path, pid: int | None = None) -> Path:
    """The hidden name a save writes to before it renames the file into place: ``.name.<pid>.tmp``."""
    return path.with_name(f".{path.name}.{os.getpid() if pid is None else pid}.tmp")


def remove_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Delete what killed saves to ``path`` left behind; returns the files removed.

    A save writes ``.name.<pid>.tmp`` and renames it to ``name`` when complete, so a process
    killed mid-save (``kill -9``, a power cut) can leave its temporary file; one whose process
    no longer runs is stale. Every save, and the command line at start, call this.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    removed = []
    candidates = [path.with_name(path.name + ".tmp")]  # the name version 1 wrote to
    candidates += [p for p in directory.glob(f".{glob.escape(path.name)}.*.tmp")]
    for candidate in candidates:
        pid_text = (
            candidate.name[len(path.name) + 2 : -len(".tmp")]
            if candidate.name.startswith(".")
            else ""
        )
        if pid_text.isdigit() and _process_alive(int(pid_text)):
            continue  # another process is saving right now
        try:
            candidate.unlink()
            removed.append(candidate)
        except FileNotFoundError:
            pass
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process is not saving (saves do not overlap), so its file is stale
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _atomic_write(path: Path, write: Any) -> None:
    """Call ``write(file)`` on ``.name.<pid>.tmp`` beside ``path``, then rename it to ``path``.

    The rename is atomic, so ``path`` is always a complete checkpoint: the old one or the new
    one. An error removes the temporary file; a killed process leaves it, and the next save
    (or :func:`remove_stale_temporaries`) removes it.
    """
    remove_stale_temporaries(path)
    tmp = _temporary_name(path)
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _detect_backend(path: Path) -> str:
    """``"numpy"`` or ``"torch"`` from the zip members; CheckpointError if neither."""
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {str(path)!r}")
    if path.is_dir():
        raise _fail(path, "is a directory, not a checkpoint file")
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _fail(
            path, "not an rnnbook checkpoint (not a zip archive, or a truncated one)"
        ) from None
    if "meta.npy" in names:
        return "numpy"
    if any(n.endswith("data.pkl") for n in names):
        return "torch"
    raise _fail(path, "not an rnnbook checkpoint")


#: What a damaged or foreign file can raise while being read: all become CheckpointError.
_READ_ERRORS = (
    zipfile.BadZipFile,
    pickle.UnpicklingError,
    EOFError,
    RuntimeError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    UnicodeDecodeError,
    OverflowError,
    MemoryError,
    OSError,
    ValueError,
)


def _read_numpy(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The verified header and arrays of a NumPy checkpoint."""
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except ValueError as err:
        if "allow_pickle" in str(err) or "Object arrays" in str(err):
            raise _fail(path, "holds pickled objects, which are never loaded") from None
        raise _fail(path, f"damaged ({err})") from None
    except _READ_ERRORS as err:
        raise _fail(
            path, f"damaged or truncated ({type(err).__name__}: {err})"
        ) from None
    meta_arr, digest_arr = data.pop("meta", None), data.pop("meta_sha256", None)
    meta_text = (
        str(meta_arr) if meta_arr is not None and meta_arr.dtype.kind == "U" else None
    )
    digest = (
        str(digest_arr)
        if digest_arr is not None and digest_arr.dtype.kind == "U"
        else None
    )
    meta = _check_header(path, meta_text, digest)
    if meta.get("backend") != "numpy":
        raise _fail(
            path, "not an rnnbook checkpoint (its header names another backend)"
        )
    _verify(path, meta.get("digests"), {"arrays": data})
    return meta, data


def _read_torch(
    path: Path, device: Any = "cpu"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The verified header and payload of a torch checkpoint."""
    import torch

    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as err:
        first = (
            str(err).strip().splitlines()[0]
            if str(err).strip()
            else "unpickling failed"
        )
        if "weights_only" in str(err) or "Unsupported global" in str(err):
            raise _fail(
                path,
                "carries Python objects other than tensors, which are never loaded (refused)",
            ) from None
        raise _fail(path, f"damaged ({first})") from None
    except _READ_ERRORS as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise _fail(
            path, f"damaged or truncated ({type(err).__name__}: {first[:160]})"
        ) from None
    if not isinstance(payload, dict) or "meta" not in payload:
        raise _fail(
            path,
            "not an rnnbook checkpoint (a plain torch.save file, e.g. a bare state_dict: "
            "it has no rnnbook header)",
        )
    meta = _check_header(path, payload.get("meta"), payload.get("meta_sha256"))
    if meta.get("backend") != "torch":
        raise _fail(
            path, "not an rnnbook checkpoint (its header names another backend)"
        )
    parts = {k: payload.get(k) for k in ("model", "optim", "state")}
    if not all(isinstance(p, dict) for p in parts.values()):
        raise _fail(path, "damaged: model, optimiser or loop state missing")
    _verify(path, meta.get("digests"), parts)
    return meta, payload


# --------------------------------------------------------------------------- NumPy backend
def _split_state(
    state: Mapping[str, Any],
) -> tuple[dict[str, np.ndarray], dict[str, Any], dict[str, int]]:
    """Loop state -> (arrays keyed ``state/...``, JSON scalars, array layout: -1 one array, k a k-tuple)."""
    arrays: dict[str, np.ndarray] = {}
    scalars: dict[str, Any] = {}
    layout: dict[str, int] = {}
    for key, value in state.items():
        if isinstance(value, tuple | list):
            layout[key] = len(value)
            arrays.update(
                {f"state/{key}/{i}": np.asarray(v) for i, v in enumerate(value)}
            )
        elif isinstance(value, np.ndarray):
            layout[key] = -1
            arrays[f"state/{key}"] = value
        else:
            scalars[key] = value
    _json_text(scalars, "state values other than arrays")
    return arrays, scalars, layout


def _save_numpy(
    path: Path,
    model: Any,
    optimizer: Any,
    meta: dict[str, Any],
    state: Mapping[str, Any],
) -> None:
    from ..numpy.optim import Optimizer

    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"a NumPy model needs an rnnbook.numpy.optim optimizer, got {type(optimizer).__name__}"
        )
    arrays = {f"model/{k}": np.asarray(v) for k, v in model.state_dict().items()}
    optim_scalars = {}
    for key, value in optimizer.state_dict().items():
        if isinstance(value, np.ndarray):
            arrays[f"optim/{key}"] = value
        else:
            optim_scalars[key] = value
    state_arrays, state_scalars, layout = _split_state(state)
    arrays.update(state_arrays)
    meta.update(
        optimizer=type(optimizer).__name__,
        optim=optim_scalars,
        state=state_scalars,
        state_layout=layout,
        digests=_digests({"arrays": arrays}),
    )
    text = json.dumps(meta)
    arrays["meta"] = np.array(text)  # 0-d unicode arrays: no pickle needed to read them
    arrays["meta_sha256"] = np.array(_sha256(text.encode()))
    _atomic_write(path, lambda f: np.savez(f, **arrays))


def _load_numpy(path: Path, model: Any, optimizer: Any) -> dict[str, Any]:
    meta, data = _read_numpy(path)
    if meta["optimizer"] != type(optimizer).__name__:
        raise _fail(
            path,
            f"holds a {meta['optimizer']} optimizer state, got a {type(optimizer).__name__}",
        )
    try:
        model.load_state_dict(
            {k[len("model/") :]: v for k, v in data.items() if k.startswith("model/")}
        )
        optim_state = {
            k[len("optim/") :]: v for k, v in data.items() if k.startswith("optim/")
        }
        optimizer.load_state_dict({**meta["optim"], **optim_state})
        state: dict[str, Any] = dict(meta["state"])
        for key, count in meta["state_layout"].items():
            state[key] = (
                data[f"state/{key}"]
                if count == -1
                else tuple(data[f"state/{key}/{i}"] for i in range(count))
            )
    except (ValueError, TypeError, KeyError) as err:
        raise _fail(path, f"does not fit this model: {err}") from None
    return {"step": meta["step"], "state": state, "meta": meta}


# --------------------------------------------------------------------------- Torch backend
def _detach(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, tuple | list):
        return tuple(_detach(v) for v in value)
    return value


def _save_torch(
    path: Path,
    model: Any,
    optimizer: Any,
    meta: dict[str, Any],
    state: Mapping[str, Any],
) -> None:
    import torch

    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"a torch model needs a torch.optim optimizer, got {type(optimizer).__name__}"
        )
    parts = {
        "model": model.state_dict(),
        "optim": optimizer.state_dict(),
        "state": {k: _detach(v) for k, v in state.items()},
    }
    meta.update(optimizer=type(optimizer).__name__, digests=_digests(parts))
    text = json.dumps(meta)
    payload = {"meta": text, "meta_sha256": _sha256(text.encode()), **parts}
    _atomic_write(path, lambda f: torch.save(payload, f))


def _load_torch(path: Path, model: Any, optimizer: Any) -> dict[str, Any]:
    device = next(model.parameters()).device
    meta, payload = _read_torch(path, device)
    if meta["optimizer"] != type(optimizer).__name__:
        raise _fail(
            path,
            f"holds a {meta['optimizer']} optimizer state, got a {type(optimizer).__name__}",
        )
    try:
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optim"])
    except (ValueError, TypeError, KeyError, RuntimeError) as err:
        first = (
            str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        )
        raise _fail(path, f"does not fit this model: {first}") from None
    return {"step": meta["step"], "state": dict(payload["state"]), "meta": meta}


# --------------------------------------------------------------------------- public API
def save_checkpoint(
    path: str | os.PathLike[str],
    model: Any,
    optimizer: Any,
    step: int,
    state: Mapping[str, Any],
    vocab: Vocabulary | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Save everything needed to resume training exactly, with a digest of every part.

    Args:
        path: the file to write (written as given, no suffix added).
        model: a NumPy model (``state_dict()``/``load_state_dict()``, for example
            :class:`rnnbook.numpy.CharModel`) or a ``torch.nn.Module``.
        optimizer: an :mod:`rnnbook.numpy.optim` optimiser for a NumPy model, a ``torch.optim``
            one for a torch model.
        step: optimiser steps taken so far.
        state: the training loop's state, ``name -> value``: arrays or tensors, tuples of them
            (an LSTM's ``(h, c)``), None, numbers or strings; for :func:`rnnbook.training.lm.train`
            ``{"position": row in the training streams, "hidden": carried state}``.
        vocab: saved as JSON when given.
        extra: any JSON-serialisable mapping (model configuration, the text's identity, notes).
    """
    if not isinstance(state, Mapping):
        raise TypeError(
            f"state must be a mapping name -> value, got {type(state).__name__}"
        )
    if vocab is not None and not isinstance(vocab, Vocabulary):
        raise TypeError(
            f"vocab must be a Vocabulary or None, got {type(vocab).__name__}"
        )
    torch_model = is_torch_model(model)
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "backend": "torch" if torch_model else "numpy",
        "step": _check_step(step),
        "vocab": None if vocab is None else vocab.to_json(),
        "extra": json.loads(
            _json_text(dict(extra) if extra is not None else None, "extra")
        ),
    }
    (_save_torch if torch_model else _save_numpy)(
        Path(path), model, optimizer, meta, state
    )


def _vocab(path: Path, meta: dict[str, Any]) -> Vocabulary | None:
    if meta.get("vocab") is None:
        return None
    try:
        return Vocabulary.from_json(meta["vocab"])
    except (ValueError, TypeError, KeyError) as err:
        raise _fail(path, f"damaged vocabulary ({err})") from None


def load_checkpoint(
    path: str | os.PathLike[str], model: Any, optimizer: Any
) -> dict[str, Any]:
    """Load a checkpoint into ``model`` and ``optimizer`` (built with the same shapes) in place.

    Every digest is checked before anything is copied, so a damaged file changes nothing.

    Returns:
        ``{"step": int, "state": dict, "vocab": Vocabulary or None, "extra": dict or None}``,
        with ``state`` as it was saved (NumPy arrays for a NumPy model, tensors on the model's
        device for a torch model).

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: (a ``ValueError``) not a checkpoint, damaged, truncated, of another
            version or backend, or with names/shapes that do not match ``model`` / ``optimizer``.
    """
    p = Path(path)
    backend = _detect_backend(p)
    want = "torch" if is_torch_model(model) else "numpy"
    if backend != want:
        raise _fail(
            p, f"was saved from a {backend} model, cannot load it into a {want} model"
        )
    loaded = (_load_torch if want == "torch" else _load_numpy)(p, model, optimizer)
    meta = loaded["meta"]
    return {
        "step": int(loaded["step"]),
        "state": loaded["state"],
        "vocab": _vocab(p, meta),
        "extra": meta["extra"],
    }


def checkpoint_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """What a checkpoint says about itself, without a model: ``backend``, ``step``, ``optimizer``,
    ``vocab`` (a :class:`Vocabulary` or None) and ``extra``; enough to rebuild the model it fits.

    The whole file is read and verified, as by :func:`load_checkpoint`.
    """
    p = Path(path)
    backend = _detect_backend(p)
    meta = _read_numpy(p)[0] if backend == "numpy" else _read_torch(p)[0]
    return {
        "backend": backend,
        "step": int(meta["step"]),
        "optimizer": meta["optimizer"],
        "vocab": _vocab(p, meta),
        "extra": meta["extra"],
    }
