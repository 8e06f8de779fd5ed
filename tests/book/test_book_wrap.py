"""rnnbook.book.display.hard_wrap: long lines cut at the width, nothing else changed."""

import pytest

from rnnbook.book.display import hard_wrap


def test_cuts_long_lines_only():
    text = "a" * 25 + "\nshort\n\n" + "b" * 10
    wrapped = hard_wrap(text, width=10)
    assert wrapped.split("\n") == ["a" * 10, "a" * 10, "a" * 5, "short", "", "b" * 10]
    assert max(len(line) for line in wrapped.split("\n")) <= 10


def test_keeps_every_character_in_order():
    text = "The  sample,   with  spaces   \n and\ttabs " * 7
    wrapped = hard_wrap(text, width=9)
    assert wrapped.replace("\n", "") == text.replace("\n", "")
    assert all(len(line) <= 9 for line in wrapped.split("\n"))
    assert hard_wrap("", 5) == ""
    assert hard_wrap("abc\n", 5) == "abc\n"  # a final newline stays


def test_bad_width():
    with pytest.raises(ValueError, match="width"):
        hard_wrap("abc", 0)
