"""An animated attention map: step through a decoder's outputs and watch where it looks.

:func:`attention_animator` hands the weights ``a_{t,j}`` of one decoded example to an
`anywidget <https://anywidget.dev>`_ view. Its JavaScript (``attention.js``, shipped in this
package) plays the output steps in the browser, in JupyterLab and on the static book page (no
kernel): step ``t`` shades each source token by ``a_{t,j}``, shows the output written so far and
the row of the weight table, with ``a_{t,j} = softmax_j(e_{t,j})`` the additive attention of
chapter 17, so every row sums to 1 over the unmasked source positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import anywidget
import numpy as np
import traitlets

HERE = Path(__file__).parent


class AttentionAnimator(anywidget.AnyWidget):
    """Play/step controls, the source shaded by the current row, and the whole weight table."""

    _esm = HERE / "attention.js"
    _css = HERE / "attention.css"
    data = traitlets.Dict().tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)


def _tokens(tokens, name: str) -> list[str]:
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise TypeError(f"{name} must be a list of token strings, e.g. ['3', '1', '4'], "
                        f"got {type(tokens).__name__}")
    out = [str(tok) for tok in tokens]
    if not out:
        raise ValueError(f"{name} is empty: give at least one token")
    return out


def attention_payload(weights, source, output, digits: int = 3) -> dict:
    """The JSON the browser draws: ``weights`` ``(T_out, T_src)`` rounded, and the two token lists.

    Row ``t`` of ``weights`` is the attention of output step ``t`` over the source positions; each
    value must lie in [0, 1] and each row must sum to 1 (a softmax), up to rounding.
    """
    source, output = _tokens(source, "source"), _tokens(output, "output")
    w = np.asarray(weights, dtype=float)  # (T_out, T_src)
    if w.shape != (len(output), len(source)):
        raise ValueError(f"weights must have shape (len(output), len(source)) = "
                         f"({len(output)}, {len(source)}), got {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("weights hold NaN or infinite values")
    if w.min() < -1e-6 or w.max() > 1 + 1e-6:
        raise ValueError(f"weights must lie in [0, 1], "
                         f"got values from {w.min():.3g} to {w.max():.3g}")
    sums = w.sum(axis=1)  # (T_out,)
    if not np.allclose(sums, 1.0, atol=1e-3):
        worst = int(np.argmax(np.abs(sums - 1.0)))
        raise ValueError(f"each row of weights must sum to 1 (a softmax over the source); "
                         f"row {worst} sums to {sums[worst]:.4f}")
    rounded = np.round(np.clip(w, 0.0, 1.0), digits)  # (T_out, T_src)
    return {"weights": rounded.tolist(), "source": source, "output": output}


def attention_animator(weights, source, output, title: str = "", note: str = "",
                       speed: float = 2.0) -> AttentionAnimator:
    """An :class:`AttentionAnimator` of one decoded example (see :func:`attention_payload`).

    ``speed`` is in output steps per second when the reader presses play.
    """
    if not isinstance(speed, (int, float)) or not 0.2 <= speed <= 20:
        raise ValueError(f"speed is in output steps per second, between 0.2 and 20; got {speed!r}")
    data = attention_payload(weights, source, output)
    data.update(speed=float(speed), note=str(note))
    return AttentionAnimator(data=data, title=str(title))
