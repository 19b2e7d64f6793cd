"""Synthetic "speech-like" sounds and their log spectrograms, computed with numpy's FFT.

Four classes that differ only in the ORDER of their sounds, so that a model which averages the
spectrum over time cannot tell each pair apart:

- ``"a-i"``: a vowel-like /a/ (formants near 730 and 1090 Hz) followed, with an abrupt switch,
  by an /i/ (270 and 2290 Hz);
- ``"i-a"``: the same two vowels in the other order;
- ``"rise"``: a tone sweeping up from 400 to 2400 Hz;
- ``"fall"``: the same tone sweeping down.

Every example gets a random pitch, length, start time, switch time, loudness and level of white
noise, so the same sound can sit anywhere in the clip (as a word does in a recording).
"""

from __future__ import annotations

from grucourse.validate import as_float_array, check_finite, check_rng

import numpy as np

SAMPLE_RATE = 8000  # Hz
DURATION = 0.5  # seconds per clip; the sound itself lasts 0.2-0.35 s and starts at a random time
CLASS_NAMES = ("a-i", "i-a", "rise", "fall")
# Hz, first two formants (Peterson & Barney)
VOWEL_FORMANTS = {"a": (730.0, 1090.0), "i": (270.0, 2290.0)}


def vowel(formants, f0: float, n: int, rng: np.random.Generator,
          sr: int = SAMPLE_RATE) -> np.ndarray:
    """A vowel-like sound: harmonics ``k f0`` weighted by Gaussian resonances at the ``formants``.

    ``x[t] = sum_k a_k sin(2 pi k f0 t / sr + phi_k)``,
    ``a_k = sum_F exp(-((k f0 - F) / 120 Hz)^2)``, random phases ``phi_k``; shape (n,), scaled to
    unit peak.
    """
    rng = check_rng(rng)
    if f0 <= 0 or n < 1:
        raise ValueError(f"need f0 > 0 and n >= 1, got f0={f0}, n={n}")
    t = np.arange(n) / sr  # (n,) seconds
    k = np.arange(1, int((sr / 2) // f0) + 1)  # (H,) harmonic numbers below Nyquist
    freqs = k * f0  # (H,)
    amps = sum(np.exp(-(((freqs - F) / 120.0) ** 2)) for F in formants)  # (H,)
    phases = rng.uniform(0, 2 * np.pi, size=k.shape)  # (H,)
    keep = amps > 1e-3  # harmonics far from every formant are inaudible; skipping them saves time
    freqs, amps, phases = freqs[keep], amps[keep], phases[keep]  # (H',)
    x = (amps[:, None] * np.sin(2 * np.pi * freqs[:, None] * t[None, :]
                                + phases[:, None])).sum(axis=0)  # (n,)
    return x / (np.abs(x).max() + 1e-12)


def chirp(f_start: float, f_end: float, n: int, sr: int = SAMPLE_RATE) -> np.ndarray:
    """A linear frequency sweep ``x[t] = sin(2 pi (f_start t + (f_end - f_start) t^2 / (2 T)))``,
    shape (n,)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    t = np.arange(n) / sr  # (n,)
    T = n / sr
    return np.sin(2 * np.pi * (f_start * t + (f_end - f_start) * t**2 / (2 * T)))  # (n,)


def make_example(label: int, rng: np.random.Generator, sr: int = SAMPLE_RATE,
                 duration: float = DURATION):
    """One noisy clip of class ``label`` (index into :data:`CLASS_NAMES`), shape
    (round(sr*duration),)."""
    rng = check_rng(rng)
    if (isinstance(label, bool) or not isinstance(label, (int, np.integer))
            or not 0 <= label < len(CLASS_NAMES)):
        raise ValueError(f"label must be an integer in [0, {len(CLASS_NAMES)}), got {label!r}")
    n_clip = int(round(sr * duration))
    n = int(round(sr * rng.uniform(0.2, 0.35)))  # length of the sound itself
    if n >= n_clip:
        raise ValueError(f"duration={duration} s is too short for a sound of {n / sr:.2f} s")
    if label in (0, 1):
        first, second = ("a", "i") if label == 0 else ("i", "a")
        f0 = rng.uniform(100, 200)  # pitch, Hz
        split = int(n * rng.uniform(0.35, 0.65))  # switch time
        x = np.concatenate(
            [vowel(VOWEL_FORMANTS[first], f0, split, rng, sr),
             vowel(VOWEL_FORMANTS[second], f0, n - split, rng, sr)]
        )  # (n,)
    else:
        lo, hi = rng.uniform(350, 450), rng.uniform(2300, 2500)
        x = chirp(lo, hi, n, sr) if label == 2 else chirp(hi, lo, n, sr)  # (n,)
    x = x * rng.uniform(0.5, 1.0)
    start = int(rng.integers(0, n_clip - n + 1))
    clip = np.zeros(n_clip)  # (n_clip,)
    clip[start : start + n] = x
    snr_db = rng.uniform(0, 10)  # signal-to-noise ratio of the sound, in dB
    noise_std = np.sqrt(np.mean(x**2) / 10 ** (snr_db / 10))
    return clip + noise_std * rng.standard_normal(n_clip)  # (n_clip,)


def make_sound_dataset(n: int, rng: np.random.Generator, duration: float = DURATION):
    """``n`` clips of ``duration`` seconds with balanced random labels:
    ``(waves (n, samples), labels (n,))``."""
    rng = check_rng(rng)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    labels = np.arange(n) % len(CLASS_NAMES)  # (n,) balanced
    rng.shuffle(labels)
    waves = np.stack([make_example(int(lab), rng, duration=duration)
                      for lab in labels])  # (n, samples)
    return waves, labels.astype(np.int64)


def hann(n_fft: int) -> np.ndarray:
    """Periodic Hann window ``w[m] = 0.5 - 0.5 cos(2 pi m / n_fft)``, shape (n_fft,)."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)


def log_spectrogram(waves, n_fft: int = 256, hop: int = 128, n_bands: int = 32) -> np.ndarray:
    """Log-power spectrogram frames: Hann-windowed frames, ``|rfft|^2``, averaged into ``n_bands``
    equal-width frequency bands, then ``log(. + 1e-6)``.

    ``waves`` has shape (samples,) or (batch, samples); returns (frames, n_bands) or
    (batch, frames, n_bands) with ``frames = 1 + (samples - n_fft) // hop``.
    """
    x = as_float_array(waves, "waves")
    single = x.ndim == 1
    if single:
        x = x[None]  # (1, samples)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(
            f"waves must have shape (samples,) or (batch, samples), got {np.shape(waves)}"
        )
    check_finite(x, "waves")
    n_bins = n_fft // 2 + 1
    if n_fft < 2 or hop < 1 or not 1 <= n_bands <= n_bins - 1:
        raise ValueError(
            f"need n_fft >= 2, hop >= 1 and 1 <= n_bands <= {n_bins - 1}; "
            f"got {n_fft}, {hop}, {n_bands}"
        )
    if x.shape[1] < n_fft:
        raise ValueError(f"waves have {x.shape[1]} samples, fewer than one frame of n_fft={n_fft}")
    n_frames = 1 + (x.shape[1] - n_fft) // hop
    idx = np.arange(n_frames)[:, None] * hop + np.arange(n_fft)[None, :]  # (frames, n_fft)
    frames = x[:, idx] * hann(n_fft)  # (batch, frames, n_fft)
    power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2  # (batch, frames, n_bins)
    usable = (n_bins - 1) // n_bands * n_bands  # drop DC and the top bins that do not fill a band
    bands = power[..., 1 : 1 + usable].reshape(
        *power.shape[:2], n_bands, -1).mean(axis=-1)  # (batch, frames, n_bands)
    out = np.log(bands + 1e-6)
    return out[0] if single else out


def band_centres(n_fft: int = 256, n_bands: int = 32, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Centre frequency (Hz) of each band of :func:`log_spectrogram`, shape (n_bands,)."""
    n_bins = n_fft // 2 + 1
    per = (n_bins - 1) // n_bands
    bins = 1 + np.arange(n_bands * per).reshape(n_bands, per)  # (n_bands, per) FFT bin numbers
    return bins.mean(axis=1) * sr / n_fft
