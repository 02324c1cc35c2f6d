#!/usr/bin/python3
"""Writes test/fixtures/ssim-rgb-reference.json: seeded RGB uint8 image pairs (height 20, width 24,
channels interleaved) and their SSIM from scikit-image, per channel and averaged (channel_axis=-1),
with the settings aelab's SSIM uses. Needs python3-skimage (Debian). Usage: /usr/bin/python3 scripts/ssim-rgb-reference.py (Debian's python, where python3-skimage installs)"""
import json
import os

import numpy as np
import skimage
from skimage.metrics import structural_similarity

H, W = 20, 24
rng = np.random.default_rng(13)


def smooth():
    y, x = np.mgrid[0:H, 0:W]
    phase = rng.uniform(0, 6.3, size=3)
    return np.stack([127 + 120 * np.sin(x / 4 + y / 7 + p) for p in phase], axis=-1)


def pair(kind):
    a = smooth() if kind != 'noise' else rng.uniform(0, 255, size=(H, W, 3))
    if kind == 'noisy-copy':
        b = a + rng.normal(0, 25, size=a.shape)
    elif kind == 'one-channel-changed':
        b = a.copy()
        b[..., 1] = 255 - b[..., 1]
    elif kind == 'shifted':
        b = np.roll(a, 3, axis=1)
    else:
        b = rng.uniform(0, 255, size=(H, W, 3))
    return np.clip(np.rint(a), 0, 255).astype(np.uint8), np.clip(np.rint(b), 0, 255).astype(np.uint8)


cases = []
for kind in ['noisy-copy', 'one-channel-changed', 'shifted', 'noise']:
    a, b = pair(kind)
    fa, fb = a / 255.0, b / 255.0
    opts = dict(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0)
    per_channel = [float(structural_similarity(fa[..., c], fb[..., c], **opts)) for c in range(3)]
    cases.append({
        'kind': kind,
        'a': a.reshape(-1).tolist(),
        'b': b.reshape(-1).tolist(),
        'perChannel': per_channel,
        'ssim': float(structural_similarity(fa, fb, channel_axis=-1, **opts)),
    })

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'ssim-rgb-reference.json')
with open(out, 'w') as f:
    json.dump({
        'about': f'SSIM of {H}x{W}x3 uint8 RGB pairs (pixel/255, channels interleaved, height {H}, width {W}), from scikit-image '
                 f'{skimage.__version__} structural_similarity(channel_axis=-1, gaussian_weights=True, sigma=1.5, '
                 'use_sample_covariance=False, data_range=1.0); perChannel: each channel alone',
        'height': H, 'width': W, 'channels': 3, 'cases': cases,
    }, f)
print(f'wrote {out}: {len(cases)} cases')
