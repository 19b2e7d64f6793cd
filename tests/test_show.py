"""grucourse.display.source.show_source: a function's source as a highlighted block, in the book and in JupyterLab."""

from grucourse.core.gru import gru_forward
from grucourse.display.source import SourceCode, show_source

import pytest


def example(x):
    """A docstring."""
    y = x + 1  # first
    if y > 2:
        return y
    return 0


def test_whole_function_as_a_python_fence():
    shown = show_source(example)
    assert isinstance(shown, SourceCode)
    md = shown._repr_markdown_()
    assert md.startswith("```python\ndef example(x):") and md.rstrip().endswith("```")
    assert str(shown).splitlines()[-1] == "    return 0"


def test_slice_between_markers_is_dedented():
    code = str(show_source(example, start_after='"""A docstring."""', end_before="return 0"))
    assert code.splitlines() == ["y = x + 1  # first", "if y > 2:", "    return y"]


def test_the_loop_of_gru_forward_shows_the_four_equations():
    code = str(show_source(gru_forward, start_after="for t in range(T):", end_before="if return_gates:"))
    assert "np.tanh(h_tilde" in code and "sigmoid(zr, zr)" in code and not code.startswith(" ")


def test_clear_errors():
    with pytest.raises(ValueError, match="no line of example contains 'nowhere'"):
        show_source(example, start_after="nowhere")
    with pytest.raises(TypeError, match="function, class or module"):
        show_source(42)
