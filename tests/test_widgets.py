"""The Python side of the gate widgets: traces equal gru_forward's gates, payloads stay small, bad input is refused."""

import json
import time

from grucourse.core import handset
from grucourse.core.gru import convert_convention, gru_forward, init_gru_params
from grucourse.widgets.gate_animator import (
    GateAnimator,
    GatePlayground,
    animator_from_trace,
    gate_animator,
    gate_playground,
    params_payload,
)
from grucourse.widgets.gate_trace import GateTrace, gate_trace, plot_gate_trace, round_significant, trace_payload

import numpy as np
import pytest


@pytest.fixture
def gru():
    rng = np.random.default_rng(3)
    return init_gru_params(3, 5, rng, scale=1.0), rng.normal(size=(12, 3))


@pytest.mark.parametrize("convention", ["source", "keras"])
@pytest.mark.parametrize("reset_after", [False, True])
def test_trace_matches_gru_forward(convention, reset_after):
    rng = np.random.default_rng(0)
    p = init_gru_params(4, 6, rng, scale=1.0, convention=convention, reset_after=reset_after)
    x = rng.normal(size=(15, 4))
    tr = gate_trace(p, x, convention="source")
    _, ref = gru_forward(x[None], convert_convention(p, "source"), return_gates=True)
    for k in ("z", "r", "h_tilde", "h"):
        np.testing.assert_allclose(getattr(tr, k), ref[k][0], atol=1e-12)
    # the state does not depend on the convention it is shown in; z flips to 1 - z
    tr_k = gate_trace(p, x, convention="keras")
    np.testing.assert_allclose(tr_k.h, tr.h, atol=1e-12)
    np.testing.assert_allclose(tr_k.z, 1 - tr.z, atol=1e-12)


def test_units_select_columns_and_h0(gru):
    p, x = gru
    full = gate_trace(p, x, h0=np.full(5, 0.3))
    part = gate_trace(p, x, h0=np.full(5, 0.3), units=[4, 1])
    assert part.units == (4, 1)
    np.testing.assert_allclose(part.h, full.h[:, [4, 1]])
    assert not np.allclose(full.h[0], gate_trace(p, x).h[0])  # h0 was used


def test_payload_is_rounded_json(gru):
    p, x = gru
    data = trace_payload(gate_trace(p, x))
    assert data["T"] == 12 and data["units"] == [0, 1, 2, 3, 4]
    assert np.array(data["z"]).shape == (12, 5) and np.array(data["x"]).shape == (12, 3)
    json.dumps(data)  # plain JSON
    assert round_significant(np.array([0.123456, -98765.4, 0.0]), 4).tolist() == [0.1235, -98770.0, 0.0]


def test_widget_size_for_a_long_trace():
    rng = np.random.default_rng(1)
    p = init_gru_params(8, 16, rng)
    w = gate_animator(p, rng.normal(size=(200, 8)))
    size = len(json.dumps(w.data)) + len(w._esm) + len(w._css)
    print(f"\nanimator state for T=200, u=16, d=8: {size / 1e3:.0f} kB")
    assert size < 1_000_000


def test_handset_carries_and_wipes():
    x = handset.demo_sequence(80, np.random.default_rng(0), marker=40)
    carry = gate_trace(handset.carry_params(), x)
    assert abs(carry.h[-1, 0] - carry.h[0, 0]) < 1e-3
    wipe = gate_trace(handset.reset_at_marker_params(), x)
    assert abs(wipe.h[39, 0] - wipe.h[0, 0]) < 1e-3 and abs(wipe.h[40, 0]) < 1e-3
    no_reset = gate_trace(handset.reset_at_marker_params(use_reset_gate=False), x)
    assert no_reset.h[40, 0] > 0.5
    leaky = gate_trace(handset.carry_params(b_z=-3.0), x)
    assert np.prod(1 - leaky.z[1:51, 0]) < 0.1


def test_widgets_build():
    rng = np.random.default_rng(2)
    p = init_gru_params(2, 3, rng)
    w = gate_animator(p, rng.normal(size=(7, 2)), units=[2], title="t", speed=5)
    assert isinstance(w, GateAnimator) and w.kind == "animator" and w.data["speed"] == 5
    assert "export default" in w._esm and ".gw-root" in w._css
    pg = gate_playground()
    assert isinstance(pg, GatePlayground) and pg.kind == "playground"
    assert pg.params == params_payload(handset.reset_at_marker_params())
    fig = plot_gate_trace(gate_trace(p, rng.normal(size=(7, 2))), "title", units=[1], events={"e": 3})
    assert len(fig.axes) == 2


def test_trace_speed_benchmark():
    """A benchmark, not a timed assertion: the trace for T=200, u=16 should take well under 20 ms."""
    rng = np.random.default_rng(0)
    p = init_gru_params(16, 16, rng)
    x = rng.normal(size=(200, 16))
    best_trace = best_payload = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        tr = gate_trace(p, x)
        t1 = time.perf_counter()
        trace_payload(tr)
        t2 = time.perf_counter()
        best_trace, best_payload = min(best_trace, t1 - t0), min(best_payload, t2 - t1)
    print(f"\ngate trace T=200, u=16: {best_trace * 1e3:.2f} ms (+ {best_payload * 1e3:.2f} ms to round it to JSON)")


# --- bad input ---------------------------------------------------------------------------


def test_bad_shapes(gru):
    p, x = gru
    with pytest.raises(ValueError, match="features per step"):
        gate_trace(p, x[:, :2])
    with pytest.raises(ValueError, match="one sequence"):
        gate_trace(p, x[None])
    with pytest.raises(ValueError, match="h0 has shape"):
        gate_trace(p, x, h0=np.zeros(4))
    with pytest.raises(TypeError, match="GRUParams"):
        gate_trace({"W_z": 1}, x)
    with pytest.raises(ValueError, match="convention"):
        gate_trace(p, x, convention="pytorch")


def test_empty_and_nan_sequences(gru):
    p, x = gru
    with pytest.raises(ValueError, match="empty sequence"):
        gate_trace(p, np.zeros((0, 3)))
    x_nan = x.copy()
    x_nan[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        gate_trace(p, x_nan)
    with pytest.raises(ValueError, match="empty"):
        gate_animator(p, np.zeros((0, 3)))


def test_unknown_units(gru):
    p, x = gru
    with pytest.raises(ValueError, match="unknown unit index 5"):
        gate_trace(p, x, units=[0, 5])
    with pytest.raises(ValueError, match="unknown unit index -1"):
        gate_animator(p, x, units=[-1])
    with pytest.raises(ValueError, match="empty"):
        gate_trace(p, x, units=[])
    with pytest.raises(ValueError, match="repeated"):
        gate_trace(p, x, units=[1, 1])
    with pytest.raises(TypeError, match="integers"):
        gate_trace(p, x, units=[0.5])


def test_trace_rejects_nan_and_mismatched_gate_values():
    T, n = 4, 2
    ok = {k: np.zeros((T, n)) for k in ("z", "r", "h_tilde", "h")}
    GateTrace(x=np.zeros((T, 1)), units=(0, 1), **ok)
    bad = dict(ok, z=np.full((T, n), np.nan))
    with pytest.raises(ValueError, match="z contains NaN"):
        GateTrace(x=np.zeros((T, 1)), units=(0, 1), **bad)
    with pytest.raises(ValueError, match="h has shape"):
        GateTrace(x=np.zeros((T, 1)), units=(0, 1), **dict(ok, h=np.zeros((T + 1, n))))
    with pytest.raises(ValueError, match="empty"):
        GateTrace(x=np.zeros((0, 1)), units=(0, 1), **{k: np.zeros((0, n)) for k in ok})
    with pytest.raises(TypeError, match="GateTrace"):
        animator_from_trace({"T": 3})


def test_playground_bad_input():
    with pytest.raises(ValueError, match="features per step"):
        gate_playground(x=np.zeros((10, 2)))
    with pytest.raises(ValueError, match="does not name a weight"):
        gate_playground(controls=[{"name": "W_q", "index": [0], "label": "", "min": 0, "max": 1, "step": 1}])
    with pytest.raises(ValueError, match="k must be"):
        gate_playground(k=100)
    with pytest.raises(ValueError, match="unknown unit index"):
        gate_playground(unit=3)
    with pytest.raises(ValueError, match="marker must be"):
        handset.demo_sequence(10, np.random.default_rng(0), marker=10)


@pytest.mark.keras
def test_keras_layer_and_model_are_found():
    from grucourse.core.gru_keras import from_keras

    import keras

    rng = np.random.default_rng(0)
    inputs = keras.Input(shape=(6, 3))
    pre = keras.layers.Dense(4, name="pre")(inputs)
    h = keras.layers.GRU(5, name="gru")(pre)
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    x = rng.normal(size=(6, 3)).astype("float32")
    w = gate_animator(model, x)  # the Dense layer in front is applied first
    x_gru = np.asarray(model.get_layer("pre")(x[None]))[0]  # (6, 4)
    ref = gate_trace(from_keras(model.get_layer("gru")), x_gru)
    np.testing.assert_allclose(np.array(w.data["h"]), ref.h, atol=1e-3)
    # Keras's own GRU output equals the last state of the trace
    out = keras.Model(inputs, h)(x[None])
    np.testing.assert_allclose(np.asarray(out)[0], ref.h[-1], atol=1e-5)
    assert gate_animator(model.get_layer("gru"), x_gru, units=[0]).data["units"] == [0]
    two = keras.Sequential([keras.Input((6, 3)), keras.layers.GRU(2, return_sequences=True), keras.layers.GRU(2)])
    with pytest.raises(ValueError, match="has 2 GRU layers"):
        gate_animator(two, x)
    with pytest.raises(TypeError, match="GRUParams"):
        gate_animator("model", x)


def test_book_config_serves_the_vendored_js():
    """_config.yml points at MathJax from tools/vendor_js.py and at the course's own widget loader only."""
    from pathlib import Path

    import yaml

    from tools import book_fixes, vendor_js

    root = Path(__file__).resolve().parent.parent
    config = yaml.safe_load((root / "_config.yml").read_text())["sphinx"]["config"]
    assert config["html_static_path"] == ["book_js"]
    written = {dst for _, dst in vendor_js.FILES}
    assert config["mathjax_path"] in written
    # widget pages load one script, the course's loader, which tools/book_fixes.py serves from book_static/
    assert list(config["nb_ipywidgets_js"]) == ["course-widgets.js"], config["nb_ipywidgets_js"]
    assert (book_fixes.STATIC / "course-widgets.js").is_file()
    assert not (root / "_static").exists(), (
        "a _static/ folder makes Jupyter Book 1 add every .js in it to every page: "
        "put the file elsewhere and list it in _config.yml")
    deps = json.loads((root / "package.json").read_text())["dependencies"]
    assert set(deps) == {"mathjax"}, "the book needs no widget manager from npm: course-widgets.js draws them"
