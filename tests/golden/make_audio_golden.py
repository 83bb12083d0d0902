#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Golden values for the built-in audio extractor (extract/audio_features.h), computed
independently with numpy (numpy.fft, its own filterbank, DCT and deltas) from the maths written
in extract/README.md. Writes audio_golden.json beside this script.

The test signal is a formula, so that C++ rebuilds it without reading samples:
  x[i] = 0.3 sin(2 pi 180 t) + 0.15 sin(2 pi 360 t + 0.5) + 0.05 sin(2 pi 2500 t)
         + 0.02 (((i * 7919) mod 1000) / 500 - 1),   t = i / 16000, i < n.
"""
import json
import math
import os

import numpy as np

SR, FRAME, HOP, NFFT, BANDS, MFCCS, WIDTH, PRE = 16000, 400, 160, 512, 40, 13, 2, 0.97
MIN_HZ, MAX_HZ = 20.0, 8000.0


def signal(n):
    i = np.arange(n)
    t = i / SR
    return (0.3 * np.sin(2 * np.pi * 180 * t) + 0.15 * np.sin(2 * np.pi * 360 * t + 0.5)
            + 0.05 * np.sin(2 * np.pi * 2500 * t) + 0.02 * (((i * 7919) % 1000) / 500.0 - 1.0))


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + f / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def filterbank():
    top = min(MAX_HZ, SR / 2)
    edges = mel_to_hz(np.linspace(hz_to_mel(MIN_HZ), hz_to_mel(top), BANDS + 2))
    freqs = np.arange(NFFT // 2 + 1) * SR / NFFT
    w = np.zeros((BANDS, NFFT // 2 + 1))
    for m in range(BANDS):
        left, centre, right = edges[m], edges[m + 1], edges[m + 2]
        up = (freqs > left) & (freqs <= centre)
        down = (freqs > centre) & (freqs < right)
        w[m, up] = (freqs[up] - left) / (centre - left)
        w[m, down] = (right - freqs[down]) / (right - centre)
    return w


def deltas(x):
    frames = x.shape[0]
    padded = np.concatenate([np.repeat(x[:1], WIDTH, 0), x, np.repeat(x[-1:], WIDTH, 0)])
    denom = 2 * sum(n * n for n in range(1, WIDTH + 1))
    out = np.zeros_like(x)
    for n in range(1, WIDTH + 1):
        out += n * (padded[WIDTH + n:WIDTH + n + frames] - padded[WIDTH - n:WIDTH - n + frames])
    return out / denom


def features(x):
    n = len(x)
    padded = np.zeros(max(n, FRAME))
    padded[:n] = x
    frames = 1 + (len(padded) - FRAME) // HOP
    emph = padded - PRE * np.concatenate([[0.0], padded[:-1]])
    window = np.hamming(FRAME)  # 0.54 - 0.46 cos(2 pi i / (N - 1))
    bank = filterbank()
    k = np.arange(BANDS)
    dct = np.array([np.cos(np.pi * q * (k + 0.5) / BANDS) * math.sqrt((1.0 if q == 0 else 2.0) / BANDS)
                    for q in range(MFCCS)])
    logmel, energy = [], []
    for t in range(frames):
        s = t * HOP
        raw = padded[s:s + FRAME]
        energy.append(math.log(max(np.mean(raw * raw), 1e-10)))
        spec = np.fft.rfft(emph[s:s + FRAME] * window, NFFT)
        power = np.abs(spec) ** 2 / NFFT
        logmel.append(np.log(np.maximum(bank @ power, 1e-10)))
    logmel = np.array(logmel)
    mfcc = logmel @ dct.T
    d1 = deltas(mfcc)
    d2 = deltas(d1)
    return logmel, mfcc, d1, d2, np.array(energy)


def main():
    cases = []
    for n in (8000, 250):  # half a second, and a clip shorter than one frame
        logmel, mfcc, d1, d2, energy = features(signal(n))
        rows = np.concatenate([logmel, mfcc, d1, d2, energy[:, None]], axis=1)
        cases.append({
            "samples": n,
            "frames": int(logmel.shape[0]),
            "logmel": logmel.ravel().tolist(),
            "mfcc": mfcc.ravel().tolist(),
            "delta": d1.ravel().tolist(),
            "delta2": d2.ravel().tolist(),
            "log_energy": energy.tolist(),
            "mean": rows.mean(0).tolist(),
            "sd": rows.std(0).tolist(),
        })
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "audio_golden.json")
    with open(out, "w") as f:
        json.dump({"made_by": "tests/golden/make_audio_golden.py (numpy " + np.__version__ + ")", "cases": cases}, f)
    print("wrote", out)


if __name__ == "__main__":
    main()
