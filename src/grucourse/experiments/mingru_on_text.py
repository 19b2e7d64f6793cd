"""chapters/24_mingru_on_text.ipynb: minGRU and the GRU as character language models, at equal
steps and at equal wall-clock.

The corpus and the scoring are chapter 18's (:mod:`grucourse.data.text`,
:func:`grucourse.training.lm_packed.packed_log_probs`); the models are the packed taggers of
:mod:`grucourse.training.packed_taggers`, sized by :data:`LM_MODELS` to about chapter 18's GRU
budget. A packed update trains all seeds at once, so the time of one update of a *single* model
is measured apart: :func:`step_timer` builds a callable for one ``train_on_batch`` and
:func:`paired_step_times` times the candidates round by round
(:func:`grucourse.measure.timing.interleaved_times`), so their ratios can be paired.
:func:`at_updates` reads each seed's score off its training curve at a (fractional) number of
updates, which turns "equal seconds" into "each kind's own number of updates".
"""

from __future__ import annotations

from grucourse.training.lm_packed import packed_log_probs, training_windows

import numpy as np

# name: (kind, units, layers); about 3,200 parameters each with V = 36 characters
LM_MODELS = {
    "GRU, 16 units": ("GRU", 16, 1),
    "minGRU, 29 units": ("minGRU", 29, 1),
    "2 x minGRU, 21 units": ("minGRU", 21, 2),
}


def bits_per_char(packed, ids, n_streams: int = 64) -> np.ndarray:
    """Each packed seed's bits per character on ``ids``: ``-mean log2 p`` ``(S,)``; perplexity is
    ``2 ** bits``."""
    logp, _ = packed_log_probs(packed, ids, n_streams)  # (S, P) natural logs
    return -logp.mean(axis=1) / np.log(2.0)  # (S,)


def lm_batches(train_ids, steps: int, n_seeds: int, batch_size: int = 32, seq_len: int = 48,
               data_seed: int = 0):
    """``next_batch(step)`` for :func:`grucourse.training.packed_taggers.train_tracked`: update
    ``step`` (from 1) gets windows ``(batch, T)`` and targets ``(batch, T, S)`` (all seeds see
    the same text)."""
    X, Y = training_windows(train_ids, steps * batch_size, seq_len,
                            np.random.default_rng(data_seed))  # (steps*batch, T) each

    def next_batch(step):
        rows = slice((step - 1) * batch_size, step * batch_size)
        return X[rows], np.repeat(Y[rows, :, None], n_seeds, axis=2)  # (batch,T), (batch,T,S)

    return next_batch


def at_updates(done, scores, updates) -> np.ndarray:
    """Each seed's score after ``updates`` updates, linear between the measured rows:
    ``done`` ``(k,)``, ``scores`` ``(k, S)`` -> ``(S,)``. ``updates`` past the last row is an
    error (the curve was not measured there)."""
    done, scores = np.asarray(done, dtype=float), np.asarray(scores, dtype=float)
    if scores.ndim != 2 or scores.shape[0] != done.shape[0]:
        raise ValueError(f"scores must be (len(done), S) = ({done.shape[0]}, S), "
                         f"got shape {scores.shape}")
    if not done[0] <= updates <= done[-1]:
        raise ValueError(f"updates={updates:.1f} lies outside the measured {done[0]:g} to "
                         f"{done[-1]:g}; train longer")
    return np.array([np.interp(updates, done, scores[:, s]) for s in range(scores.shape[1])])


def step_timer(model, batch):
    """A callable that runs one ``train_on_batch`` of ``model`` on the fixed ``batch = (X, y)``
    (called once here, so tracing stays out of any timing)."""
    X, y = batch

    def step():
        model.train_on_batch(X, y)

    step()
    return step


def paired_step_times(timers: dict, repeat: int = 7) -> dict:
    """Seconds per call of each callable in ``timers``, ``repeat`` rounds in turns:
    ``{name: (repeat,)}``.

    Round ``i`` times every candidate once, so sample ``i`` of two candidates forms a pair for
    :func:`grucourse.measure.stats.time_ratio`.
    """
    from grucourse.measure.timing import interleaved_times

    samples = {name: [] for name in timers}
    for _ in range(repeat):  # paired repeats: every candidate once per round
        stats = interleaved_times(timers, repeat=1, warmup=0)
        for name in timers:
            samples[name].append(stats[name]["median"])
    return {name: np.array(v) for name, v in samples.items()}  # each (repeat,)
