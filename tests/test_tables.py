"""grucourse.display.tables.show_table: the course's one table style (HTML and plain text)."""

from grucourse.display.tables import show_table

import numpy as np
import pandas as pd
import pytest


def frame():
    return pd.DataFrame({"model": ["GRU", "LSTM"], "seed": [0, 1], "loss": [0.5, 0.123456],
                         "ms per step": [1.0, 12.25]})


def test_html_has_no_index_and_aligns_numbers():
    out = show_table(frame(), formats={"ms per step": "{:.1f}"})._repr_html_()
    assert out.startswith('<table class="gc-table"')
    assert out.count("<tr>") == 3  # header and two rows, no index column
    assert '<th scope="col" class="gc-text" style=' in out  # the text column is left-aligned
    assert "text-align:right\">0.123</td>" in out  # floats: 3 decimals in every row
    assert "text-align:right\">0.500</td>" in out
    assert ">12.2</td>" in out and ">1.0</td>" in out  # the column's own format
    assert ">1</td>" in out  # integers stay integers


def test_plain_text_matches_the_html_values():
    text = str(show_table(frame()))
    lines = text.splitlines()
    assert lines[0].split() == ["model", "seed", "loss", "ms", "per", "step"]
    assert lines[1].split() == ["GRU", "0", "0.500", "1.000"]
    assert lines[2].endswith("12.250")  # numbers right-aligned under their header


def test_index_kept_only_when_asked_and_html_escaped():
    df = pd.DataFrame({"value": [1.5]}, index=pd.Index(["<b>"], name="name"))
    out = show_table(df, index=True)._repr_html_()
    assert "&lt;b&gt;" in out and "<b>" not in out
    assert ">name</th>" in out
    assert ">name</th>" not in show_table(df)._repr_html_()


def test_missing_values_and_scroll_note():
    df = pd.DataFrame({"a": [np.nan, 2.0]})
    assert ">–</td>" in show_table(df)._repr_html_()
    wide = pd.DataFrame({f"a rather long column name {i}": [1.0] for i in range(4)})
    with pytest.raises(ValueError, match="characters wide.*scroll=True"):
        show_table(wide)
    out = show_table(wide, scroll=True)._repr_html_()
    assert out.startswith('<div class="gc-scrolls"><p class="gc-scroll-note">')


def test_bad_input_gets_a_clear_message():
    with pytest.raises(TypeError, match="expects a pandas DataFrame, got list"):
        show_table([[1, 2]])
    with pytest.raises(ValueError, match="no columns"):
        show_table(pd.DataFrame())
    with pytest.raises(ValueError, match=r"does not have: \['los'\]"):
        show_table(frame(), formats={"los": "{:.1f}"})
