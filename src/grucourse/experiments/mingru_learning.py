"""chapters/19_mingru_learning.ipynb: the wall-clock time of one training update, GRU vs minGRU.

A packed update trains all seeds at once, so the time of one update of a *single* model is
measured apart: :func:`step_timer` builds a callable for one ``train_on_batch`` and
:func:`paired_step_times` times several candidates round by round
(:func:`grucourse.measure.timing.interleaved_times`), so their ratios can be paired.
The learning experiments themselves are in :mod:`grucourse.training.mingru_packed`.
"""

from __future__ import annotations

import numpy as np


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
