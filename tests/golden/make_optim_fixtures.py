#!/usr/bin/python3
"""Writes the golden fixtures of tests/nn/optim/: torch.optim updates and learning-rate schedules.

Optimizers: two float32 parameters, a [3,4] and a [5] (`optim_param{0,1}`), get five steps each with
a fixed sequence of gradients (`optim_grad{0,1}`, shapes [5,3,4] and [5,5]: gradient of step t in
row t). For each configuration below, `optim_<name>_param{0,1}` hold the parameters after every
step (row t: after step t + 1). Every optimizer runs the single-tensor path (foreach=False).

Schedules: `optim_lr_<name>` is the float64 sequence of the lr used by update t (t = 0, 1, ...)
when scheduler.step() follows every optimizer.step().

Run with Debian's PyTorch from the repository root: /usr/bin/python3 tests/golden/make_optim_fixtures.py
It is seeded, so rerunning it with PyTorch 1.13 reproduces the files byte for byte.
"""
import os

import numpy as np
import torch

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
STEPS = 5

# name -> optimizer factory over a parameter list; the C++ tests build the same configurations.
OPTIMIZERS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.1, foreach=False),
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, foreach=False),
    "sgd_nesterov": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True,
                                              weight_decay=5e-4, foreach=False),
    "sgd_dampening": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1,
                                               foreach=False),
    "adam": lambda p: torch.optim.Adam(p, lr=0.1, foreach=False),
    "adam_weight_decay": lambda p: torch.optim.Adam(p, lr=0.1, weight_decay=1e-2, foreach=False),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=1e-2, foreach=False),
}

# name -> (scheduler factory over an optimizer, base lr of the optimizer, number of updates)
SCHEDULES = {
    "step": (lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5), 0.1, 60),
    "cosine": (lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=80, eta_min=1e-3),
               0.1, 81),
    "onecycle": (lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.5, total_steps=100, pct_start=0.3, anneal_strategy="cos",
        three_phase=False, cycle_momentum=False), 0.1, 100),
    # pct_start * total_steps = 19.25: the phase boundary falls between two steps
    "onecycle_fractional": (lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.2, total_steps=77, pct_start=0.25, div_factor=10.0, final_div_factor=100.0,
        anneal_strategy="cos", three_phase=False, cycle_momentum=False), 0.1, 77),
    "cyclic": (lambda o: torch.optim.lr_scheduler.CyclicLR(
        o, base_lr=1e-3, max_lr=0.1, step_size_up=7, step_size_down=5, mode="triangular",
        cycle_momentum=False), 0.1, 80),
    "cyclic_symmetric": (lambda o: torch.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=0.05, step_size_up=10, mode="triangular", cycle_momentum=False),
        0.1, 70),
}


def save(name, array):
    np.save(os.path.join(OUT_DIR, f"optim_{name}.npy"), np.ascontiguousarray(array))


def run_optimizer(make, initial, grads):
    """Parameters after each of STEPS updates, one array per parameter with a leading step axis."""
    params = [torch.tensor(p, requires_grad=True) for p in initial]
    optimizer = make(params)
    history = [[] for _ in params]
    for t in range(STEPS):
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g[t])
        optimizer.step()
        for p, h in zip(params, history):
            h.append(p.detach().numpy().copy())
    return [np.stack(h) for h in history]


def run_schedule(make, base_lr, updates):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = make(optimizer)
    lrs = []
    for _ in range(updates):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(lrs, dtype=np.float64)


def main():
    torch.manual_seed(0)
    initial = [torch.randn(3, 4).numpy(), torch.randn(5).numpy()]
    grads = [torch.randn(STEPS, 3, 4).numpy(), torch.randn(STEPS, 5).numpy()]
    for i, (p, g) in enumerate(zip(initial, grads)):
        save(f"param{i}", p)
        save(f"grad{i}", g)
    for name, make in OPTIMIZERS.items():
        for i, history in enumerate(run_optimizer(make, initial, grads)):
            save(f"{name}_param{i}", history)
    for name, (make, base_lr, updates) in SCHEDULES.items():
        save(f"lr_{name}", run_schedule(make, base_lr, updates))


if __name__ == "__main__":
    main()
