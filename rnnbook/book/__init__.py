"""Helpers of the chapters themselves (the last group: nothing else in the package imports them).

* :mod:`rnnbook.book.display`: glue numbers into the prose as printed, show source code with
  line numbers, tables;
* :mod:`rnnbook.book.exercises`: checkers that grade a reader's implementation.

The figures are in :mod:`rnnbook.viz`.
"""
