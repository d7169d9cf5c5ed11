#!/usr/bin/python3
"""A plain PyTorch FedAvg loop on the setting of Samples/Federated, timed (docs/benchmarks.md).

Fashion-MNIST (Debian's dataset-fashion-mnist) split over 1,000 users of 60 images with class mixes
drawn from Dirichlet(0.1); per central iteration a cohort of 50 users, each trains one local epoch in
batches of 10 with SGD at lr 0.1 (cross-entropy) starting from the central model; the server adds
the mean delta (central SGD, lr 1). LeNet: conv 5x5 (6) -> max-pool -> conv 5x5 (16) -> max-pool ->
256 -> 120 -> 84 -> 10, ReLU. No evaluation, no DP.

One local model and optimizer are reused for every user (parameters copied in), as an efficient
hand-written loop would. Prints one line:
  benchmark impl=pytorch data=Fashion-MNIST iterations=N threads=T users_per_s=X images_per_s=Y seconds=S

Development tool only: nothing in the product or CI runs it.
  /usr/bin/python3 tests/Benchmarks/pytorch/fedavg_throughput.py [--iterations 20] [--threads 2]
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(256, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def dirichlet_users(labels, users, size, alpha, rng):
    """Each user's class mix ~ Dirichlet(alpha); its `size` samples are drawn class by class from it
    (renormalised over the classes that still have samples)."""
    classes = int(labels.max()) + 1
    pools = [list(rng.permutation(np.flatnonzero(labels == c))) for c in range(classes)]
    result = []
    for _ in range(users):
        p = rng.dirichlet([alpha] * classes)
        mine = []
        for u in rng.random(size):
            left = np.array([p[c] if pools[c] else 0.0 for c in range(classes)])
            if left.sum() <= 0:
                left = np.array([1.0 if pools[c] else 0.0 for c in range(classes)])
            c = min(int(np.searchsorted(np.cumsum(left), u * left.sum(), side="right")), classes - 1)
            while not pools[c]:
                c = (c + 1) % classes
            mine.append(pools[c].pop())
        result.append(np.array(mine))
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--cohort", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)

    x = read_idx(os.path.join(DATA, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255
    y = read_idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    x = (x - x.mean()) / x.std()
    x = torch.from_numpy(x).unsqueeze(1)
    y = torch.from_numpy(y)
    users = dirichlet_users(y.numpy(), a.users, len(y) // a.users, 0.1, rng)
    user_x = [x[idx] for idx in users]
    user_y = [y[idx] for idx in users]

    central = LeNet()
    local = LeNet()
    opt = torch.optim.SGD(local.parameters(), lr=0.1)
    central_params = list(central.parameters())
    local_params = list(local.parameters())
    total = [torch.zeros_like(p) for p in central_params]

    def iteration():
        cohort = rng.choice(a.users, a.cohort, replace=False)
        for t in total:
            t.zero_()
        images = 0
        for u in cohort:
            with torch.no_grad():
                for lp, cp in zip(local_params, central_params):
                    lp.copy_(cp)
            ux, uy = user_x[u], user_y[u]
            for first in range(0, len(uy), 10):      # one local epoch, batches of 10, last partial batch kept
                xb, yb = ux[first:first + 10], uy[first:first + 10]
                opt.zero_grad()
                F.cross_entropy(local(xb), yb).backward()
                opt.step()
                images += len(yb)
            with torch.no_grad():
                for t, lp, cp in zip(total, local_params, central_params):
                    t.add_(lp - cp)
        with torch.no_grad():
            for cp, t in zip(central_params, total):
                cp.add_(t, alpha=1.0 / len(cohort))   # central SGD, lr 1, on the mean delta
        return len(cohort), images

    iteration(); iteration()   # warm-up
    start = time.perf_counter()
    trained = images = 0
    for _ in range(a.iterations):
        u, i = iteration()
        trained += u
        images += i
    seconds = time.perf_counter() - start
    print(f"benchmark impl=pytorch data=Fashion-MNIST iterations={a.iterations} threads={a.threads} "
          f"users_per_s={trained / seconds:.1f} images_per_s={images / seconds:.0f} seconds={seconds:.2f} torch={torch.__version__}")


if __name__ == "__main__":
    main()
