"""Show the course's own code in a notebook, highlighted, in the book and in JupyterLab.

``show_source(gru_forward)`` displays the function's source as a fenced Python block
(Markdown output): the book highlights it with its theme, JupyterLab with its editor colours.
It replaces ``literalinclude``, which only the book understands.
"""

from __future__ import annotations

import inspect
import textwrap


class SourceCode:
    """Python source shown as a highlighted code block (``text/markdown``), plain text otherwise."""

    def __init__(self, code: str, language: str = "python"):
        self.code = code
        self.language = language

    def _repr_markdown_(self) -> str:
        fence = "````" if "```" in self.code else "```"
        return f"{fence}{self.language}\n{self.code}\n{fence}\n"

    def __repr__(self) -> str:
        return self.code

    def __str__(self) -> str:
        return self.code


def _first_index(lines: list[str], marker: str, start: int, obj_name: str) -> int:
    for i in range(start, len(lines)):
        if marker in lines[i]:
            return i
    raise ValueError(f"show_source: no line of {obj_name} contains {marker!r}; "
                     "pass a marker that is in its source")


def show_source(obj, start_after: str | None = None, end_before: str | None = None) -> SourceCode:
    """Return the source of ``obj`` (function, class or module) for display as highlighted code.

    ``start_after``: keep only the lines after the first line that contains this text;
    ``end_before``: stop before the first following line that contains this text.
    The kept lines are dedented, so a loop body reads from column 0.
    """
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismodule(obj)
            or inspect.ismethod(obj)):
        raise TypeError(
            f"show_source expects a function, class or module, got {type(obj).__name__}"
        )
    name = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
    lines = inspect.getsource(obj).splitlines()
    begin, end = 0, len(lines)
    if start_after is not None:
        begin = _first_index(lines, start_after, 0, name) + 1
    if end_before is not None:
        end = _first_index(lines, end_before, begin, name)
    code = textwrap.dedent("\n".join(lines[begin:end])).strip("\n")
    if not code:
        raise ValueError(
            f"show_source: nothing between {start_after!r} and {end_before!r} in {name}"
        )
    return SourceCode(code)
