"""The course's one table style: :func:`show_table` displays a ``pandas.DataFrame`` as an HTML
table.

The table is padded and bordered, numbers are right-aligned in tabular figures, every float column
has one number format, and the index is left out unless it means something (``index=True``).
The same object prints as plain text (``df.to_string(index=False)``) where HTML is not shown,
e.g. under ``print`` or in a terminal. In the book the stylesheet adds zebra rows; the inline
styles keep the table readable in JupyterLab (light and dark) too.

    show_table(df, formats={"ms per step": "{:.2f}"}, caption="Time per step")
"""

from __future__ import annotations

import html
import numbers

import numpy as np
import pandas as pd

CELL = "padding:0.25em 0.6em;border:1px solid rgba(128,128,128,0.45);"
WRAP_AFTER = 80  # characters of plain text: wider tables need scroll=True or fewer columns


class Table:
    """A formatted table: ``_repr_html_`` for notebooks and the book, ``str`` for plain text."""

    def __init__(self, frame: pd.DataFrame, text: dict[str, list[str]], numeric: dict[str, bool],
                 caption: str | None, scroll: bool):
        self.frame, self.text, self.numeric, self.caption, self.scroll = (
            frame, text, numeric, caption, scroll)

    def __str__(self) -> str:
        columns = list(self.text)
        widths = {c: max([len(str(c))] + [len(v) for v in self.text[c]]) for c in columns}

        def line(values):
            return "  ".join(v.rjust(widths[c]) if self.numeric[c] else v.ljust(widths[c])
                             for c, v in zip(columns, values, strict=True)).rstrip()

        rows = [line([str(c) for c in columns])]
        rows += [line([self.text[c][i] for c in columns]) for i in range(len(self.frame))]
        return "\n".join(([self.caption] if self.caption else []) + rows)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        def cell(tag, value, numeric, scope=""):
            align = "right" if numeric else "left"
            cls = "" if numeric else ' class="gc-text"'
            return (f'<{tag}{scope}{cls} style="{CELL}text-align:{align}">'
                    f'{html.escape(value)}</{tag}>')

        columns = list(self.text)
        head = "".join(cell("th", str(c), self.numeric[c], ' scope="col"') for c in columns)
        body = "".join("<tr>" + "".join(cell("td", self.text[c][i], self.numeric[c])
                                        for c in columns) + "</tr>"
                       for i in range(len(self.frame)))
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        table = (f'<table class="gc-table" '
                 f'style="border-collapse:collapse;font-variant-numeric:tabular-nums">'
                 f"{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        if self.scroll:
            return ('<div class="gc-scrolls"><p class="gc-scroll-note">'
                    'This table is wider than the page: '
                    f"scroll it sideways.</p>{table}</div>")
        return table


def _format(value, fmt) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if callable(fmt):
        return str(fmt(value))
    if fmt is not None:
        return fmt.format(value)
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    return str(value)


def show_table(df, *, formats: dict | None = None, decimals: int = 3, index: bool = False,
               caption: str | None = None, scroll: bool = False) -> Table:
    """Return ``df`` as a course table (display it as the last line of a cell, or ``display(...)``).

    ``formats`` maps a column to a format string (``"{:.2f}"``, ``"{:.1%}"``) or a function;
    float columns without one get ``decimals`` digits after the point, the same in every row;
    integer columns print as integers. ``index=True`` keeps a named index as the first column.
    A table wider than 80 characters as plain text must say that it scrolls (``scroll=True``)
    or be split: otherwise a ``ValueError`` says so.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"show_table expects a pandas DataFrame, got {type(df).__name__}")
    if df.shape[1] == 0:
        raise ValueError("the table has no columns")
    formats = dict(formats or {})
    unknown = sorted(set(map(str, formats)) - set(map(str, df.columns)))
    if unknown:
        raise ValueError(f"formats names columns the table does not have: {unknown}; "
                         f"its columns are {list(map(str, df.columns))}")
    frame = df.reset_index() if index else df
    text, numeric = {}, {}
    for column in frame.columns:
        values = frame[column]
        is_number = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        fmt = formats.get(column, formats.get(str(column)))
        if fmt is None and pd.api.types.is_float_dtype(values):
            fmt = f"{{:.{decimals}f}}"
        text[str(column)] = [_format(v, fmt) for v in values.tolist()]
        numeric[str(column)] = bool(is_number)
    table = Table(frame, text, numeric, caption, scroll)
    width = max(len(row) for row in str(table).splitlines())
    if width > WRAP_AFTER and not scroll:
        raise ValueError(f"the table is {width} characters wide as plain text "
                         f"(at most {WRAP_AFTER} fit the "
                         "page): drop or rename columns, split it in two, or pass scroll=True")
    return table
