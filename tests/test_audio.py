"""Tests for grucourse.data.audio: synthetic sounds and the numpy log spectrogram."""

from grucourse.data import audio as A

import numpy as np
import pytest


def test_spectrogram_matches_an_explicit_dft():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(700)
    n_fft, hop = 64, 32
    S = A.log_spectrogram(x, n_fft=n_fft, hop=hop, n_bands=8)
    n_frames = 1 + (700 - n_fft) // hop
    assert S.shape == (n_frames, 8)
    m = np.arange(n_fft)
    w = 0.5 - 0.5 * np.cos(2 * np.pi * m / n_fft)
    dft = np.exp(-2j * np.pi * np.outer(np.arange(n_fft // 2 + 1), m) / n_fft)  # independent DFT matrix
    for f in (0, n_frames - 1):
        power = np.abs(dft @ (x[f * hop : f * hop + n_fft] * w)) ** 2
        bands = power[1:33].reshape(8, 4).mean(axis=1)
        np.testing.assert_allclose(S[f], np.log(bands + 1e-6), rtol=1e-10)


def test_pure_tone_peaks_in_the_right_band():
    sr = A.SAMPLE_RATE
    x = np.sin(2 * np.pi * 1000 * np.arange(4000) / sr)
    S = A.log_spectrogram(x)
    centres = A.band_centres()
    assert abs(centres[S.mean(axis=0).argmax()] - 1000) < 100


def test_classes_differ_by_order_only():
    rng = np.random.default_rng(1)
    waves, labels = A.make_sound_dataset(200, rng)
    assert waves.shape == (200, int(A.SAMPLE_RATE * A.DURATION)) and np.bincount(labels).tolist() == [50] * 4
    S = A.log_spectrogram(waves)
    mean_spec = S.mean(axis=1)  # (n, bands)
    # Averaged over time, "a-i" and "i-a" (and "rise" and "fall") have nearly the same spectrum ...
    gap_pair = np.abs(mean_spec[labels == 0].mean(0) - mean_spec[labels == 1].mean(0)).max()
    gap_groups = np.abs(mean_spec[labels == 0].mean(0) - mean_spec[labels == 2].mean(0)).max()
    assert gap_pair < 0.25 * gap_groups
    # ... but the first half of a rising chirp is lower in frequency than the second half.
    c = A.band_centres()
    x = A.chirp(400, 2400, 4000)
    S1 = A.log_spectrogram(x)
    assert c[S1[2].argmax()] < c[S1[-3].argmax()]


def test_bad_input():
    with pytest.raises(ValueError, match="fewer than one frame"):
        A.log_spectrogram(np.zeros(10))
    with pytest.raises(ValueError, match="NaN"):
        A.log_spectrogram(np.full(300, np.nan))
    with pytest.raises(ValueError, match="shape"):
        A.log_spectrogram(np.zeros((2, 2, 300)))
    with pytest.raises(TypeError, match="numbers"):
        A.log_spectrogram(["a"] * 300)
    with pytest.raises(ValueError, match="label"):
        A.make_example(7, np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        A.make_sound_dataset(4, 3)
