"""The peer for `npm run bench`: the same three autoencoders in PyTorch, same data and settings.

Reads real MNIST from the IDX files the engine uses, trains one model for one epoch (Adam 1e-3,
batch 64, MSE) over N training images, reports the validation loss on the last V training images,
scores the test images, and prints one JSON line per measurement (bench/engine-bench.ts's format).
Usage: peer_torch.py MNIST_DIR N_TRAIN N_SCORE MODEL [BATCH] [N_VALIDATION]
Install the peer on Debian: apt-get install python3-torch libopenblas0-pthread
Run with OPENBLAS_NUM_THREADS=1 (the benchmark sets it) and torch threads = cores.
"""
import json
import os
import resource
import struct
import sys
import time

import torch
from torch import nn


def read_idx_images(path, limit):
    with open(path, "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 2051, path
        count = min(count, limit)
        data = f.read(count * rows * cols)
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).float().div_(255).view(count, 1, rows, cols)


def fcn_simple():
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 16), nn.Tanh(),
        nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)))


def fcn_deep():
    layers = [nn.Flatten()]
    sizes = [784, 512, 256, 128]
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
    layers += [nn.Linear(128, 16), nn.BatchNorm1d(16), nn.Tanh()]
    back = [16, 128, 256, 512]
    for a, b in zip(back, back[1:]):
        layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
    layers += [nn.Linear(512, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28))]
    return nn.Sequential(*layers)


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())


MODELS = {"fcn-simple": fcn_simple, "fcn-deep": fcn_deep, "cnn": cnn}


def main():
    mnist_dir, train_n, score_n, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    batch = int(sys.argv[5]) if len(sys.argv) > 5 else 64
    validation_n = int(sys.argv[6]) if len(sys.argv) > 6 else 2000
    torch.manual_seed(1)
    torch.set_num_threads(os.cpu_count() or 1)
    all_train = read_idx_images(os.path.join(mnist_dir, "train-images-idx3-ubyte"), 60000)
    train = all_train[:train_n]
    # The same held-out images as the engine: the end of the training set.
    validation = all_train[all_train.shape[0] - validation_n:]
    test = read_idx_images(os.path.join(mnist_dir, "t10k-images-idx3-ubyte"), score_n)
    env = {"system": "peer", "backend": f"pytorch cpu, {torch.get_num_threads()} threads, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '')}",
           "versions": f"torch {torch.__version__}, python {sys.version.split()[0]}"}

    def peak_mb():
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    def mean_loss(model, images):
        model.eval()
        total = 0.0
        with torch.no_grad():
            for i in range(0, images.shape[0], 256):
                x = images[i:i + 256]
                total += ((model(x) - x) ** 2).mean(dim=(1, 2, 3)).sum().item()
        return total / images.shape[0]

    model = MODELS[name]()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    perm = torch.randperm(train.shape[0])
    model.train()
    t0 = time.perf_counter()
    for i in range(0, train.shape[0], batch):
        x = train[perm[i:i + batch]]
        opt.zero_grad()
        loss = loss_fn(model(x), x)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - t0
    print(json.dumps({"kind": "train", "model": name, "images": train.shape[0], "seconds": seconds,
                      "imagesPerSecond": train.shape[0] / seconds, "validationLoss": mean_loss(model, validation),
                      "peakRssMB": peak_mb(), **env}), flush=True)
    model.eval()
    t1 = time.perf_counter()
    with torch.no_grad():
        for i in range(0, test.shape[0], 256):
            x = test[i:i + 256]
            ((model(x) - x) ** 2).mean(dim=(1, 2, 3))
    seconds = time.perf_counter() - t1
    print(json.dumps({"kind": "score", "model": name, "images": test.shape[0], "seconds": seconds,
                      "imagesPerSecond": test.shape[0] / seconds, "peakRssMB": peak_mb(), **env}), flush=True)


if __name__ == "__main__":
    main()
