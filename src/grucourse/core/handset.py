"""A one-unit GRU with hand-set weights that shows what each gate does.

The input has three features per step, ``x_t = [value, write, marker]``:
``value`` is the number to remember (and random distractors elsewhere), ``write`` is 1 at
the step whose value should be stored, ``marker`` is 1 at the step where the state should be wiped.
Source convention (``h_t = (1 - z_t) h_{t-1} + z_t h~_t``), ``reset_after=False``::

    z_t  = sigmoid(b_z + 28 write_t [+ 28 marker_t])   ~0 (keep) except at write [and marker] (~1)
    r_t  = sigmoid(b_r [- 20 marker_t])                 ~1 except at the marker [~0: forget]
    h~_t = tanh(value_t + r_t h_{t-1})
    h_t  = (1 - z_t) h_{t-1} + z_t h~_t

With ``b_z = -14`` the update gate is about 8e-7 between events, so the stored value changes by
less than 2e-6 per step and survives 50+ steps of distractors almost exactly.
"""

from __future__ import annotations

from grucourse.core.gru import GRUParams

import numpy as np

FEATURES = ("value", "write", "marker")
OPEN = 28.0  # gate weight that flips a closed gate (bias -14) wide open (+14)


def _params(b_z: float, z_marker: float, b_r: float, r_marker: float, u_h: float) -> GRUParams:
    col = np.array  # each weight below is a column: (3, 1) for W, (1, 1) for U, (1,) for b
    return GRUParams(
        W_z=col([[0.0], [OPEN], [z_marker]]),  # (3, 1): write and marker open the update gate
        U_z=col([[0.0]]),  # (1, 1)
        b_z=col([b_z]),  # (1,)
        W_r=col([[0.0], [0.0], [r_marker]]),  # (3, 1): the marker closes the reset gate
        U_r=col([[0.0]]),  # (1, 1)
        b_r=col([b_r]),  # (1,)
        W_h=col([[1.0], [0.0], [0.0]]),  # (3, 1): the candidate reads the value
        U_h=col([[u_h]]),  # (1, 1): and the (reset-scaled) previous state
        b_h=col([0.0]),  # (1,)
        convention="source",
        reset_after=False,
    )


def carry_params(b_z: float = -14.0) -> GRUParams:
    """Write the value when ``write`` is 1, then keep it: the update gate is closed (``z ~ 0``)
    otherwise.

    The marker feature is ignored. Raising ``b_z`` (e.g. to -3) lets the state leak away.
    """
    return _params(b_z=float(b_z), z_marker=0.0, b_r=10.0, r_marker=0.0, u_h=1.0)


def reset_at_marker_params(use_reset_gate: bool = True, u_h: float = 1.0) -> GRUParams:
    """Like :func:`carry_params`, and at the marker the update gate opens and the reset gate closes.

    The open update gate overwrites: ``h_t ~ h~_t = tanh(0 + U_h r_t h_{t-1})``. With the reset
    gate closed (``r ~ 0``) the candidate is ``~0`` whatever the past, so the state is wiped.
    With ``use_reset_gate=False`` the reset gate stays open and the marker step writes
    ``tanh(U_h h_{t-1})``, which still depends on the past; with ``u_h=0`` as well the candidate
    ignores the past by itself and the update gate alone wipes the state.
    """
    return _params(b_z=-14.0, z_marker=OPEN, b_r=10.0, r_marker=-20.0 if use_reset_gate else 0.0,
                   u_h=float(u_h))


def written_share(params: GRUParams, x, value_feature: int = 0, write_step: int = 0) -> np.ndarray:
    """How much of the value written at ``write_step`` is still in the state, for every later step.

    ``share_k = (h_{w+k} - h'_{w+k}) / (h_w - h'_w)`` for ``k = 0 .. T-1-w``, where ``h`` is the
    state of unit 0 on ``x`` ``(T, d)`` and ``h'`` the state of the same run with feature
    ``value_feature`` zeroed at step ``w``. This is what the gate playground reports. It equals
    the update gate's keep product ``prod_{s=w+1}^{w+k} (1 - z_s)`` only when the candidate
    does not feed the old state back (``U_h = 0``) and the gates do not depend on the value.
    """
    from grucourse.core.gru import gru_forward

    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != params.input_size:
        raise ValueError(f"x must be one sequence of shape (T, {params.input_size}), "
                         f"got shape {x.shape}")
    if not 0 <= write_step < x.shape[0] - 1:
        raise ValueError(f"write_step must be a step in [0, {x.shape[0] - 1}), got {write_step!r}")
    if not 0 <= value_feature < x.shape[1]:
        raise ValueError(f"value_feature must be in [0, {x.shape[1]}), got {value_feature!r}")
    x0 = x.copy()  # (T, d)
    x0[write_step, value_feature] = 0.0
    _, with_value = gru_forward(x[None], params, return_gates=True)  # h: (1, T, u)
    _, without = gru_forward(x0[None], params, return_gates=True)
    diff = with_value["h"][0, write_step:, 0] - without["h"][0, write_step:, 0]  # (T - w,)
    if abs(diff[0]) < 1e-12:
        raise ValueError(f"nothing was written: feature {value_feature} at step {write_step} "
                         "does not change h")
    return diff / diff[0]  # (T - w,): share_0 = 1


def demo_sequence(T: int, rng: np.random.Generator, write_value: float = 1.0,
                  marker: int | None = None, noise: float = 0.5) -> np.ndarray:
    """One input sequence ``(T, 3)`` for the hand-set GRU.

    Step 0 writes ``write_value``; every other step carries a distractor value uniform in
    ``[-noise, noise]``; if ``marker`` is given, that step has ``marker = 1`` and value 0.
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 2:
        raise ValueError(f"T must be an integer >= 2, got {T!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    if marker is not None and (isinstance(marker, bool) or not isinstance(marker, (int, np.integer))
                               or not 1 <= marker < T):
        raise ValueError(f"marker must be a step in [1, {T}), got {marker!r}")
    if not np.isfinite(write_value) or not np.isfinite(noise) or noise < 0:
        raise ValueError("write_value must be finite and noise a finite number >= 0")
    x = np.zeros((T, 3))  # (T, 3): value, write, marker
    x[:, 0] = rng.uniform(-noise, noise, size=T)  # distractors
    x[0, 0], x[0, 1] = write_value, 1.0
    if marker is not None:
        x[marker, 0], x[marker, 2] = 0.0, 1.0
    return x
