"""The course's diagrams: each returns a Figure with the expected labelled boxes, operations and arrows."""

from grucourse.display import diagrams

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def gids(fig, prefix):
    """The gids of all patches in the figure that start with ``prefix``."""
    return [p.get_gid() for ax in fig.axes for p in ax.patches if (p.get_gid() or "").startswith(prefix)]


def texts(fig):
    return " ".join(t.get_text() for ax in fig.axes for t in ax.texts)


def test_pipeline_default_has_four_stages_joined_by_three_arrows():
    fig = diagrams.pipeline_diagram()
    assert isinstance(fig, Figure)
    assert gids(fig, "box:") == ["box:stage0", "box:stage1", "box:stage2", "box:stage3"]
    assert len(gids(fig, "arrow:flow")) == 3
    words = texts(fig)
    for word in ("raw input", "preprocessing", "GRU", "output"):
        assert word in words


def test_pipeline_custom_stages_and_notes():
    fig = diagrams.pipeline_diagram(["a", "GRU", "b"], notes=["(20, 10)", "(32,)", "(1,)"])
    assert len(gids(fig, "box:")) == 3
    assert len(gids(fig, "arrow:")) == 2
    assert "(20, 10)" in texts(fig) and "(1,)" in texts(fig)
    # the GRU stage is drawn in the GRU colour, the others in grey
    boxes = [p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("box:")]
    assert boxes[1].get_edgecolor() != boxes[0].get_edgecolor()


@pytest.mark.parametrize(
    "stages, notes, error",
    [
        ("raw -> GRU", None, TypeError),
        (["only one"], None, ValueError),
        (["a", ""], None, ValueError),
        (["a", 3], None, TypeError),
        (["a", "b"], ["x"], ValueError),
        (["a", "b"], "x y", TypeError),
    ],
)
def test_pipeline_rejects_bad_arguments(stages, notes, error):
    with pytest.raises(error):
        diagrams.pipeline_diagram(stages, notes=notes)


def test_gru_cell_has_two_gates_one_candidate_and_one_state_line():
    fig = diagrams.gru_cell_diagram()
    assert isinstance(fig, Figure)
    assert sorted(gids(fig, "box:")) == ["box:h_tilde", "box:r", "box:z"]
    assert gids(fig, "state:") == ["state:h"]  # one merged state, unlike the LSTM
    assert sorted(gids(fig, "op:")) == ["op:add", "op:keep", "op:mix", "op:one_minus", "op:reset"]
    words = texts(fig)
    for word in ("update gate", "reset gate", "candidate", r"$h_{t-1}$", r"$h_t$", r"$1-z_t$"):
        assert word in words
    assert len(gids(fig, "arrow:input")) == 4


def test_lstm_cell_has_three_gates_and_two_state_lines():
    fig = diagrams.lstm_cell_diagram()
    assert sorted(gids(fig, "box:")) == ["box:f", "box:g", "box:i", "box:o"]
    assert sorted(gids(fig, "state:")) == ["state:c", "state:h"]
    words = texts(fig)
    for word in ("forget gate", "input gate", "output gate", r"$c_t$", r"$h_t$"):
        assert word in words


@pytest.mark.parametrize("steps", [1, 4, 10])
def test_unrolled_draws_one_cell_per_step(steps):
    fig = diagrams.unrolled_diagram(steps)
    assert len(gids(fig, "box:cell")) == steps
    assert len(gids(fig, "arrow:input")) == steps
    assert len(gids(fig, "arrow:state")) == steps  # h_0 -> cell 1, then cell t-1 -> cell t
    assert len(gids(fig, "arrow:output")) == 1  # only h_T leaves by default
    assert rf"$x_{{{steps}}}$" in texts(fig) and rf"$h_{{{steps}}}$" in texts(fig)


def test_unrolled_return_sequences_outputs_every_state():
    fig = diagrams.unrolled_diagram(5, return_sequences=True)
    assert len(gids(fig, "arrow:output")) == 5
    assert all(rf"$h_{{{t}}}$" in texts(fig) for t in range(1, 6))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"steps": 0}, ValueError),
        ({"steps": 11}, ValueError),
        ({"steps": 2.5}, TypeError),
        ({"steps": True}, TypeError),
        ({"steps": "4"}, TypeError),
        ({"steps": 3, "return_sequences": "yes"}, TypeError),
    ],
)
def test_unrolled_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        diagrams.unrolled_diagram(**kwargs)


@pytest.mark.parametrize(
    "draw", [diagrams.pipeline_diagram, diagrams.gru_cell_diagram, diagrams.lstm_cell_diagram,
             diagrams.unrolled_diagram]
)
def test_draws_into_a_given_axes_and_rejects_non_axes(draw):
    fig, (ax1, ax2) = plt.subplots(1, 2)
    assert draw(ax=ax2) is fig
    assert not ax1.patches and ax2.patches  # drew only where it was told
    with pytest.raises(TypeError, match="Axes"):
        draw(ax="not an axes")


def test_diagram_text_is_readable_in_the_column():
    for draw in (diagrams.pipeline_diagram, diagrams.gru_cell_diagram, diagrams.lstm_cell_diagram,
                 diagrams.unrolled_diagram):
        fig = draw()
        sizes = [t.get_fontsize() for t in fig.axes[0].texts]
        assert sizes and min(sizes) >= diagrams.MIN_FONT_PT, (draw.__name__, min(sizes))
        plt.close(fig)
