"""Checker of exercise set 4: train a GRU that beats a baseline."""

from __future__ import annotations

from grucourse.checks.core import (
    CORRECT,
    Exercise,
    Verdict,
    incorrect,
    invalid,
    is_stub,
    not_attempted,
)

import numpy as np

# --- Exercise 4.1: train a GRU that beats a baseline ----------------------------------------


class BeatBaseline(Exercise):
    """The adding problem (``grucourse.data.tasks.adding_problem``): beat
    predicting the mean by a factor."""

    name = "beat_baseline"
    T = 20
    FACTOR = 4.0
    hints = (
        "Use build_model('GRU', units, 2, 1, task='regression', seq_len=20) and train it with "
        "fit_early_stopping(model, X_train, y_train, X_val, y_val, epochs=..., patience=...); "
        "~10 epochs are enough.",
        "If the loss stalls near 0.17 the model predicts the mean: raise the learning rate (1e-2), "
        "add units (16 is plenty) or epochs.",
    )
    solution_code = '''
seed_everything(0)
my_model = build_model("GRU", 16, 2, 1, task="regression", seq_len=20, learning_rate=1e-2)
_run = fit_early_stopping(my_model, X_train, y_train, X_val, y_val,\
 epochs=12, batch_size=64, patience=3)
'''

    def test_data(self):
        from grucourse.data.tasks import adding_problem

        return adding_problem(1000, self.T, np.random.default_rng(99))

    def _grade(self, answer):
        if is_stub(answer):
            raise not_attempted()
        # predict_on_batch (Keras models) avoids the tf.data pipeline whose C++ log line
        # predict() prints
        predict = getattr(answer, "predict_on_batch", None) or getattr(answer, "predict", None)
        if predict is None and not callable(answer):
            raise invalid("pass your trained Keras model (anything with .predict), got "
                           f"{type(answer).__name__}")
        X, y = self.test_data()
        try:
            pred = predict(X) if predict is not None else answer(X)
        except NotImplementedError:
            raise not_attempted() from None
        except Exception as exc:
            raise invalid(f"predicting on inputs of shape {X.shape} (n, T={self.T}, 2 features) "
                           f"failed with {type(exc).__name__}: {str(exc)[:200]}") from None
        pred = np.asarray(pred, dtype=np.float64)
        if pred.shape not in ((len(y),), (len(y), 1)):
            raise invalid(f"predictions have shape {pred.shape}, expected ({len(y)}, 1): "
                           "one number per sequence")
        if not np.all(np.isfinite(pred)):
            raise invalid("the predictions contain NaN or infinity: training diverged "
                           "(lower the learning rate)")
        mse = float(np.mean((pred.reshape(-1) - y) ** 2))
        baseline = float(np.mean((1.0 - y) ** 2))
        if mse * self.FACTOR <= baseline:
            ratio = f"{baseline / mse:.0f}x better" if mse > 0 else "perfect"
            raise Verdict(CORRECT, f"test MSE {mse:.4f} vs {baseline:.4f} for always "
                                    f"predicting 1.0: {ratio}.")
        if mse >= 0.9 * baseline:
            raise incorrect(f"test MSE {mse:.4f} is no better than always predicting 1.0 "
                             f"({baseline:.4f}): the model has not learned to use the markers yet. "
                             "Train longer or with a larger learning rate.")
        raise incorrect(f"test MSE {mse:.4f} beats the baseline {baseline:.4f}, but needs to "
                         f"be {self.FACTOR:.0f}x smaller (<= {baseline / self.FACTOR:.4f}). "
                         "Train longer or with more units.")


