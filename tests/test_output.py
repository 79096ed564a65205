"""Writing files: temporary names, folders made when missing, modes, all or none."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

import advocacy.output as output
from advocacy.exceptions import OutputError
from advocacy.output import (
    FILE_MODE,
    NewFolder,
    atomic_write,
    open_temporary,
    remove_stale_temporaries,
    write_all_or_none,
)


def test_a_file_is_written_with_the_mode_open_would_give(tmp_path: Path):
    target = tmp_path / "a.txt"
    atomic_write(target, b"one")
    assert target.read_bytes() == b"one"
    assert stat.S_IMODE(target.stat().st_mode) == FILE_MODE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_missing_folders_are_made_when_the_first_file_is_written(tmp_path: Path):
    target = tmp_path / "supporters" / "ann" / "mayor.txt"
    write_all_or_none({target: b"x", target.with_suffix(".eml"): b"y"}, durable=False)
    assert target.read_bytes() == b"x"
    assert target.with_suffix(".eml").read_bytes() == b"y"


def test_a_folder_that_is_a_file_fails_cleanly(tmp_path: Path):
    (tmp_path / "ann").write_text("not a folder", encoding="utf-8")
    with pytest.raises(OutputError, match="cannot write"):
        write_all_or_none({tmp_path / "ann" / "mayor.txt": b"x"})


def test_a_temporary_name_left_by_an_earlier_process_is_skipped(tmp_path: Path, monkeypatch):
    target = tmp_path / "mayor.txt"
    monkeypatch.setattr(output, "_names", iter(range(3)))
    pid = os.getpid()
    leftover = tmp_path / f".advocacy-mayor.txt.{pid}-0.tmp"  # a killed run with our pid
    leftover.write_bytes(b"old")
    handle, temporary = open_temporary(target)
    os.close(handle)
    assert Path(temporary).name == f".advocacy-mayor.txt.{pid}-1.tmp"
    assert leftover.read_bytes() == b"old"
    assert remove_stale_temporaries(tmp_path) == 2


def test_large_data_is_written_whole(tmp_path: Path):
    data = os.urandom(3 << 20)
    atomic_write(tmp_path / "big.bin", data, durable=False)
    assert (tmp_path / "big.bin").read_bytes() == data


def test_a_failing_write_leaves_old_files_and_no_temporary(tmp_path: Path, monkeypatch):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_bytes(b"old a")
    second.write_bytes(b"old b")
    real = os.write

    def full(handle: int, data: bytes) -> int:
        if len(data) == 5:  # the second file's bytes
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(handle, data)

    monkeypatch.setattr(output.os, "write", full)
    with pytest.raises(OutputError, match="cannot write .*b.txt: No space left on device"):
        write_all_or_none({first: b"new a!", second: b"new b"})
    monkeypatch.undo()
    assert first.read_bytes() == b"old a" and second.read_bytes() == b"old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def _factory():
    import datetime as dt

    from advocacy.generate import LetterFactory
    from advocacy.models import Sender
    from advocacy.templating import builtin_dir

    return LetterFactory([builtin_dir()], ("txt",), Sender(), dt.date(2026, 12, 1), ())


def test_letter_paths_are_what_inside_gives_and_never_leave_the_folder(tmp_path: Path):
    from advocacy.exceptions import AdvocacyError
    from advocacy.output import inside

    out = tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    (out / "supporters" / "ann").mkdir(parents=True)
    (out / "cities").mkdir()
    elsewhere.mkdir()
    (out / "supporters" / "to-ann").symlink_to(out / "supporters" / "ann")
    (out / "supporters" / "escape").symlink_to(elsewhere)
    (out / "supporters" / "dangling").symlink_to(tmp_path / "nowhere")
    (out / "link-to-supporters").symlink_to(out / "supporters")
    factory = _factory()
    for folder in (
        "supporters/ann",
        "supporters/new",
        "supporters/to-ann",
        "cities",
        "san-jose-ca",
        "link-to-supporters/ann",
        "link-to-supporters/new",
        "supporters/ann/..",
        "cities/../supporters/new",
    ):
        for _ in range(2):  # computed, then from the cache
            assert factory.path(out, folder, "mayor.txt") == inside(out, folder, "mayor.txt")
    for folder in ("supporters/escape", "supporters/dangling", "..", "supporters/../..", "/etc"):
        with pytest.raises(AdvocacyError, match="outside the output folder"):
            factory.path(out, folder, "mayor.txt")
    with pytest.raises(AdvocacyError, match="outside the output folder"):
        factory.path(out, "supporters", "../../x.txt")


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_a_new_folder_appears_whole_when_it_is_committed(tmp_path: Path):
    final = tmp_path / "supporters" / "ann"
    new = NewFolder(str(final), durable=False)
    new.write({new.prefix + "mayor.txt": b"one", new.prefix + "mayor.eml": b"two"})
    new.write({new.prefix + "index.html": b"three"})
    assert not final.exists()  # nothing at the folder's name until it is whole
    assert Path(new.path).name.startswith(".advocacy-ann.") and new.path.endswith(".tmp")
    new.commit()
    assert _listing(tmp_path) == [
        "supporters",
        "supporters/ann",
        "supporters/ann/index.html",
        "supporters/ann/mayor.eml",
        "supporters/ann/mayor.txt",
    ]
    assert (final / "mayor.eml").read_bytes() == b"two"
    assert stat.S_IMODE((final / "mayor.txt").stat().st_mode) == FILE_MODE


def test_a_failing_write_in_a_new_folder_keeps_none_of_that_write(tmp_path: Path, monkeypatch):
    final = tmp_path / "ann"
    new = NewFolder(str(final), durable=False)
    new.write({new.prefix + "mayor.txt": b"kept"})
    real = os.write

    def full(handle: int, data: bytes) -> int:
        if data == b"second":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(handle, data)

    monkeypatch.setattr(output.os, "write", full)
    with pytest.raises(OutputError, match="cannot write .*council.eml: No space left"):
        new.write({new.prefix + "council.txt": b"first", new.prefix + "council.eml": b"second"})
    monkeypatch.undo()
    new.commit()
    assert _listing(tmp_path) == ["ann", "ann/mayor.txt"]


def test_an_empty_new_folder_is_not_put_in_place(tmp_path: Path):
    NewFolder(str(tmp_path / "ann")).commit()
    assert _listing(tmp_path) == []


def test_a_folder_that_appeared_meanwhile_gets_the_new_files(tmp_path: Path):
    final = tmp_path / "ann"
    new = NewFolder(str(final), durable=False)
    new.write({new.prefix + "mayor.txt": b"new"})
    final.mkdir()
    (final / "notes.md").write_text("mine", encoding="utf-8")
    new.commit()
    assert _listing(tmp_path) == ["ann", "ann/mayor.txt", "ann/notes.md"]


def test_a_new_folder_a_killed_run_left_is_removed_by_the_next_run(tmp_path: Path):
    new = NewFolder(str(tmp_path / "supporters" / "ann"), durable=False)
    new.write({new.prefix + "mayor.txt": b"half"})
    (tmp_path / "supporters" / "own.tmp").mkdir()  # the user's own folder stays
    (tmp_path / "supporters" / "own.tmp" / "x.txt").write_text("x", encoding="utf-8")
    assert remove_stale_temporaries(tmp_path) == 1
    assert _listing(tmp_path) == ["supporters", "supporters/own.tmp", "supporters/own.tmp/x.txt"]


def test_a_factory_writes_a_new_folder_whole_and_an_existing_one_file_by_file(tmp_path: Path):
    out = tmp_path / "out"
    (out / "supporters" / "bob").mkdir(parents=True)
    factory = _factory()
    with factory.new_folder(out, "supporters/ann"):
        path = factory.file(out, "supporters/ann", "mayor.txt")
        assert ".advocacy-ann." in path
        factory.write_files({path: b"ann"})
        assert not (out / "supporters" / "ann").exists()
        elsewhere = factory.file(out, "supporters/bob", "mayor.txt")  # not the new folder
        factory.write_files({elsewhere: b"bob"})
    assert (out / "supporters" / "ann" / "mayor.txt").read_bytes() == b"ann"
    assert (out / "supporters" / "bob" / "mayor.txt").read_bytes() == b"bob"
    with factory.new_folder(out, "supporters/bob"):  # exists: each file renamed into place
        path = factory.file(out, "supporters/bob", "council.txt")
        assert path == str(out.resolve() / "supporters" / "bob" / "council.txt")
        factory.write_files({path: b"bob 2"})
    assert _listing(out) == [
        "supporters",
        "supporters/ann",
        "supporters/ann/mayor.txt",
        "supporters/bob",
        "supporters/bob/council.txt",
        "supporters/bob/mayor.txt",
    ]


def test_a_new_folder_whose_writing_fails_leaves_nothing(tmp_path: Path):
    out = tmp_path / "out"
    factory = _factory()
    with pytest.raises(RuntimeError), factory.new_folder(out, "supporters/ann"):
        factory.write_files({factory.file(out, "supporters/ann", "mayor.txt"): b"ann"})
        raise RuntimeError("stopped")
    assert _listing(out) == ["supporters"]
    assert factory.file(out, "supporters/ann", "mayor.txt") == str(
        out.resolve() / "supporters" / "ann" / "mayor.txt"
    )


def test_a_factory_keeps_the_folders_of_each_output_folder_apart(tmp_path: Path):
    factory = _factory()
    first, second = tmp_path / "one", tmp_path / "two"
    for out in (first, second, Path(str(first)), second):
        assert factory.file(out, "supporters/ann", "mayor.txt") == str(
            out.resolve() / "supporters" / "ann" / "mayor.txt"
        )
        assert factory.path(out, "supporters", "x.txt") == out.resolve() / "supporters" / "x.txt"


def test_a_new_folder_that_cannot_be_made_fails_cleanly(tmp_path: Path):
    (tmp_path / "supporters").write_text("not a folder", encoding="utf-8")
    with pytest.raises(OutputError, match=r"cannot write .*supporters/ann: Not a directory"):
        NewFolder(str(tmp_path / "supporters" / "ann"))
    assert _listing(tmp_path) == ["supporters"]
