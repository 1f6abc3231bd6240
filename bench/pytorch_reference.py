"""The reference the performance table quotes: the MNIST MLP step (784-256-256-10, Adam, batch 64)
and a LeNet-5 step (batch 64) in PyTorch on one thread, on random data of the same shapes.

Run by bench/speed.ts when `python3 -c 'import torch'` works; prints one JSON line of medians (wall and CPU time, ms).
"""
import json
import os
import statistics
import sys
import time

# One thread everywhere: OpenBLAS (Debian's torch build) starts its own pool unless told otherwise.
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[var] = '1'
import torch  # noqa: E402
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200


def mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


def step_time(model, x, y, n):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    wall, cpu = [], []
    for i in range(n + 10):
        start, start_cpu = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if i >= 10:
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
    return {'wall_ms': statistics.median(wall), 'cpu_ms': statistics.median(cpu)}


def blas():
    """The BLAS this process loaded: Debian's torch uses the `libblas.so.3` alternative, the slow reference BLAS
    unless an optimised one (libopenblas0-pthread) is installed."""
    torch.randn(64, 64) @ torch.randn(64, 64)
    with open('/proc/self/maps') as maps:
        loaded = maps.read().lower()
    if 'openblas' in loaded:
        return 'OpenBLAS'
    if 'mkl' in loaded:
        return 'MKL'
    return 'reference BLAS' if 'libblas' in loaded else 'unknown'


y = torch.randint(0, 10, (64,))
print(json.dumps({
    'torch': torch.__version__,
    'blas': blas(),
    'threads': torch.get_num_threads(),
    'mlp': step_time(mlp(), torch.randn(64, 784), y, rounds),
    'lenet': step_time(lenet(), torch.randn(64, 1, 32, 32), y, max(rounds // 4, 20)),
}))
