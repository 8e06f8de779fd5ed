"""The training command never loses work or lies: the text a checkpoint was trained on, checks before
training, damaged and foreign checkpoints, divergence, progress when piped, interrupts, left-overs."""

import os
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from rnnbook.cli import main
from rnnbook.training.checkpoint import checkpoint_info, remove_stale_temporaries

TINY = [
    "--hidden",
    "8",
    "--seq-len",
    "6",
    "--batch-size",
    "2",
    "--steps",
    "6",
    "--eval-every",
    "3",
    "--sample",
    "0",
    "--no-progress",
]


@pytest.fixture
def novel(tmp_path):
    path = tmp_path / "my_novel.txt"
    path.write_text(
        "It was a dark and stormy night; the rain fell in torrents. " * 12,
        encoding="utf-8",
    )
    return path


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _clean_error(code, err, pattern, status=2):
    assert code == status, err
    assert pattern in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def _torch_ckpt(capsys, tmp_path, novel, name="t.ckpt"):
    ckpt = tmp_path / name
    code, _, err = _run(
        capsys, "train", "--text", novel, "--backend", "torch", "--save", ckpt, *TINY
    )
    assert code == 0, err
    return ckpt


# ----------------------------------------------------------------------------- the text's identity
def test_resume_continues_on_the_checkpoints_text(capsys, tmp_path, novel, monkeypatch):
    ckpt = tmp_path / "runs" / "run.ckpt"  # README's form: the directory is created
    assert _run(capsys, "train", "--text", novel, "--save", ckpt, *TINY)[0] == 0
    record = checkpoint_info(ckpt)["extra"]["config"]["text"]
    assert record["path"] == str(novel.resolve()) and record["chars"] == len(
        novel.read_text()
    )
    monkeypatch.chdir(
        tmp_path / "runs"
    )  # another working directory: the path is absolute
    code, out, err = _run(
        capsys,
        "train",
        "--resume",
        ckpt,
        "--steps",
        "3",
        "--seq-len",
        "6",
        "--sample",
        "0",
        "--no-progress",
    )
    assert code == 0, err
    assert (
        f"text: {novel.resolve()}" in out
        and "resuming at step 6" in out
        and "step      9:" in out
    )


def test_resume_refuses_a_changed_or_missing_text(capsys, tmp_path, novel):
    ckpt = tmp_path / "run.ckpt"
    assert _run(capsys, "train", "--text", novel, "--save", ckpt, *TINY)[0] == 0
    novel.write_text(novel.read_text() + "The end.", encoding="utf-8")
    code, out, err = _run(capsys, "train", "--resume", ckpt, "--steps", "1")
    _clean_error(code, err, "is not the text")
    assert "resuming would continue on other data" in err and out == ""
    novel.unlink()
    code, _, err = _run(capsys, "train", "--resume", ckpt, "--steps", "1")
    _clean_error(code, err, "which is missing: pass --text with that text")
    other = tmp_path / "other.txt"
    other.write_text(
        "Something else entirely, and longer than before. " * 12, encoding="utf-8"
    )
    code, _, err = _run(
        capsys, "train", "--resume", ckpt, "--text", other, "--steps", "1"
    )
    _clean_error(code, err, "is not the text")


def test_resume_of_the_bundled_corpus_keeps_its_length(capsys, tmp_path):
    ckpt = tmp_path / "run.ckpt"
    assert _run(capsys, "train", "--max-chars", "3000", "--save", ckpt, *TINY)[0] == 0
    code, out, err = _run(
        capsys,
        "train",
        "--resume",
        ckpt,
        "--steps",
        "1",
        "--seq-len",
        "6",
        "--sample",
        "0",
        "--no-progress",
    )
    assert code == 0, err
    assert "3,000 characters" in out
    code, _, err = _run(
        capsys, "train", "--resume", ckpt, "--max-chars", "2000", "--steps", "1"
    )
    _clean_error(code, err, "is not the text")
    code, _, err = _run(
        capsys, "train", "--resume", ckpt, "--val-fraction", "0.2", "--steps", "1"
    )
    _clean_error(code, err, "--val-fraction 0.2 does not match the checkpoint's 0.1")


# ----------------------------------------------------------------------------- checks before training
def test_save_path_problems_are_found_before_training(capsys, tmp_path, novel):
    code, out, err = _run(capsys, "train", "--text", novel, "--save", tmp_path, *TINY)
    _clean_error(code, err, "is a directory")
    assert "validation" not in out
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    code, out, err = _run(
        capsys, "train", "--text", novel, "--save", blocker / "x.ckpt", *TINY
    )
    _clean_error(code, err, "cannot write there")
    assert "validation" not in out


def test_read_only_directory_is_found_before_training(capsys, tmp_path, novel):
    if os.geteuid() != 0:
        target = tmp_path / "ro"
        target.mkdir()
        target.chmod(0o555)
    else:  # root writes through permission bits; sysfs refuses new files even to root
        target = "/sys"
        try:
            with open("/sys/rnnbook-probe", "w"):
                pass
            pytest.skip("/sys is writable here")
        except OSError:
            pass
    code, out, err = _run(
        capsys, "train", "--text", novel, "--save", f"{target}/x.ckpt", *TINY
    )
    _clean_error(code, err, "cannot write there")
    assert "validation" not in out


def test_prompt_device_and_memory_are_checked_before_training(capsys, novel):
    code, out, err = _run(
        capsys, "train", "--text", novel, "--prompt", "", "--sample", "5", *TINY[:-3]
    )
    _clean_error(code, err, "--prompt must not be empty")
    code, out, err = _run(capsys, "train", "--text", novel, "--device", "cuda", *TINY)
    _clean_error(code, err, "--device cuda needs --backend torch")
    code, out, err = _run(
        capsys, "train", "--text", novel, "--hidden", "200000", *TINY[2:]
    )
    _clean_error(code, err, "the model needs at least")
    assert "GiB are available" in err and out == ""


# ----------------------------------------------------------------------------- bad checkpoints
def _flip_in_tensor(path, name_part):
    """Flip one bit inside the stored bytes of the first zip member whose name contains name_part."""
    with zipfile.ZipFile(path) as z:
        info = next(i for i in z.infolist() if name_part in i.filename)
        size = info.file_size
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    header = info.header_offset
    name_len = int.from_bytes(raw[header + 26 : header + 28], "little")
    extra_len = int.from_bytes(raw[header + 28 : header + 30], "little")
    data = header + 30 + name_len + extra_len
    raw[data + size // 2] ^= 0x10
    path.write_bytes(bytes(raw))


def test_damaged_torch_checkpoint_is_refused(capsys, tmp_path, novel):
    ckpt = _torch_ckpt(capsys, tmp_path, novel)
    _flip_in_tensor(ckpt, "/data/")  # one bit of one stored tensor
    code, out, err = _run(capsys, "train", "--resume", ckpt, "--steps", "1")
    _clean_error(code, err, "damaged")
    assert out == ""


def test_damaged_numpy_checkpoint_is_refused(capsys, tmp_path, novel):
    ckpt = tmp_path / "n.ckpt"
    assert _run(capsys, "train", "--text", novel, "--save", ckpt, *TINY)[0] == 0
    raw = bytearray(ckpt.read_bytes())
    raw[len(raw) // 3 : len(raw) // 3 + 16] = b"\x00" * 16  # bytes overwritten
    ckpt.write_bytes(bytes(raw))
    code, _, err = _run(capsys, "train", "--resume", ckpt, "--steps", "1")
    _clean_error(code, err, str(ckpt))


def test_random_bytes_and_foreign_files_are_refused(capsys, tmp_path, novel):
    torch = pytest.importorskip("torch")
    cases = {}
    cases["random"] = tmp_path / "random.ckpt"
    cases["random"].write_bytes(np.random.default_rng(0).bytes(4096))
    ckpt = _torch_ckpt(capsys, tmp_path, novel)
    cases["random_torch"] = (
        tmp_path / "random_torch.ckpt"
    )  # a real checkpoint's first half, then noise
    raw = ckpt.read_bytes()
    cases["random_torch"].write_bytes(
        raw[: len(raw) // 2] + np.random.default_rng(1).bytes(len(raw) // 2)
    )
    cases["state_dict"] = tmp_path / "plain.pt"
    torch.save(torch.nn.LSTM(3, 4).state_dict(), cases["state_dict"])
    cases["fake_pickle"] = tmp_path / "fake.ckpt"
    with zipfile.ZipFile(cases["fake_pickle"], "w") as z:
        z.writestr("archive/data.pkl", b"not a pickle at all")
    cases["truncated"] = tmp_path / "truncated.ckpt"
    cases["truncated"].write_bytes(raw[: len(raw) - 100])
    for name, path in cases.items():
        code, out, err = _run(capsys, "train", "--resume", path, "--steps", "1")
        _clean_error(code, err, str(path))
        assert out == "", name
    _, _, err = _run(capsys, "train", "--resume", cases["state_dict"], "--steps", "1")
    assert "no rnnbook header" in err


class _Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_pickle_carrying_code_is_refused_in_one_line(capsys, tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "evil.ckpt"
    torch.save({"meta": "{}", "model": _Payload()}, path)
    code, out, err = _run(capsys, "train", "--resume", path, "--steps", "1")
    _clean_error(code, err, "never loaded")


def test_checkpoint_of_another_version_is_refused(capsys, tmp_path, novel):
    import json

    ckpt = tmp_path / "n.ckpt"
    assert _run(capsys, "train", "--text", novel, "--save", ckpt, *TINY)[0] == 0
    with np.load(ckpt, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays.pop("meta")))
    meta["version"] = 1
    arrays.pop("meta_sha256")  # version 1 stored no header digest
    arrays["meta"] = np.array(json.dumps(meta))
    with open(ckpt, "wb") as f:
        np.savez(f, **arrays)
    code, _, err = _run(capsys, "train", "--resume", ckpt, "--steps", "1")
    _clean_error(code, err, "checkpoint version 1")


# ----------------------------------------------------------------------------- divergence
def test_a_diverged_run_fails_and_keeps_the_last_good_checkpoint(
    capsys, tmp_path, novel
):
    ckpt = tmp_path / "run.ckpt"
    assert _run(capsys, "train", "--text", novel, "--save", ckpt, *TINY)[0] == 0
    code, out, err = _run(
        capsys,
        "train",
        "--resume",
        ckpt,
        "--save",
        ckpt,
        "--lr",
        "50",
        "--clip",
        "0",
        "--steps",
        "30",
        "--eval-every",
        "1",
        "--seq-len",
        "6",
        "--no-progress",
        "--sample",
        "0",
    )
    _clean_error(code, err, "training diverged at step", status=1)
    assert "uniform model scores ln" in err and "lower --lr" in err
    assert "final validation perplexity" not in out
    step = checkpoint_info(ckpt)["step"]
    assert (
        f"(step {step}) is kept" in err
    )  # the checkpoint on disk is the last one whose loss was sane


def test_a_diverged_fresh_run_says_no_checkpoint(capsys, novel):
    code, out, err = _run(
        capsys,
        "train",
        "--text",
        novel,
        "--lr",
        "50",
        "--optimizer",
        "sgd",
        "--clip",
        "0",
        *TINY[:4],
        "--steps",
        "40",
        "--eval-every",
        "1",
        "--no-progress",
    )
    _clean_error(code, err, "training diverged", status=1)


# ----------------------------------------------------------------------------- progress, interrupts, left-overs
def _sigint_as_a_terminal_delivers_it():
    # A command started in the background by a shell without job control (`cmd &` in a script,
    # nohup) inherits SIGINT ignored, and Python then installs no KeyboardInterrupt handler.
    # The child gets SIGINT's default disposition, as a command run at a terminal does.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(tmp_path, novel, *extra):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rnnbook",
            "train",
            "--text",
            str(novel),
            "--hidden",
            "16",
            "--seq-len",
            "8",
            "--batch-size",
            "2",
            "--steps",
            "100000",
            "--eval-every",
            "5",
            "--sample",
            "0",
            *map(str, extra),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        preexec_fn=_sigint_as_a_terminal_delivers_it,
    )


def test_progress_lines_arrive_while_piped_and_ctrl_c_names_the_saved_step(
    tmp_path, novel
):
    ckpt = tmp_path / "run.ckpt"
    proc = _start(tmp_path, novel, "--save", ckpt)
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if line.startswith("step") and "(saved)" in line:
                break
        assert proc.poll() is None, (
            "the process ended before its first progress line was read"
        )
        assert any(line.startswith("step      5: validation loss") for line in lines), (
            lines
        )
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130
    step = checkpoint_info(ckpt)["step"]
    assert f"holds step {step}: continue with --resume" in err, err
    assert "Traceback" not in err


def test_a_killed_save_leaves_nothing_behind_after_the_next_start(tmp_path, novel):
    ckpt = tmp_path / "run.ckpt"
    proc = _start(tmp_path, novel, "--save", ckpt, "--eval-every", "1")
    try:
        deadline = time.monotonic() + 120
        while not ckpt.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    checkpoint_info(
        ckpt
    )  # whatever moment the kill hit, the file in place is a whole checkpoint
    # A temporary file as a save killed mid-write would leave it (its process is gone).
    stale = tmp_path / f".run.ckpt.{proc.pid}.tmp"
    stale.write_bytes(b"partial")
    old_style = tmp_path / "run.ckpt.tmp"
    old_style.write_bytes(b"partial")
    assert main(["train", "--text", str(novel), "--save", str(ckpt), *TINY]) == 0
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp"))
    assert leftovers == []


def test_remove_stale_temporaries_spares_a_running_save(tmp_path):
    target = tmp_path / "x.ckpt"
    live = tmp_path / f".x.ckpt.{os.getppid()}.tmp"  # the parent process is alive
    dead = tmp_path / ".x.ckpt.999999999.tmp"
    unrelated = tmp_path / ".y.ckpt.999999999.tmp"
    for p in (live, dead, unrelated):
        p.write_bytes(b"")
    removed = remove_stale_temporaries(target)
    assert removed == [dead]
    assert live.exists() and unrelated.exists() and not dead.exists()


def test_gitignore_ignores_checkpoints():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    ignored = (root / ".gitignore").read_text().splitlines()
    assert "*.ckpt" in ignored and "runs/" in ignored


def test_readme_examples_write_under_runs():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    saves = [
        line
        for line in readme.splitlines()
        if "--save" in line and "rnnbook train" in line
    ]
    assert saves and all("--save runs/" in line for line in saves), saves


def test_stdout_not_a_terminal_gets_lines(capsys, novel):
    code, out, _ = _run(capsys, "train", "--text", novel, *TINY)
    assert (
        code == 0 and out.count("validation loss") == 2
    )  # steps 3 and 6, printed as they happened
