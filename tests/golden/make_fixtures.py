#!/usr/bin/python3
"""Writes the golden fixtures of tests/engine/golden_test.cpp: two small models run in PyTorch.

  block: a CIFAR-style ResNet basic block with a projection shortcut, batch norm in training mode;
         loss = sum(out * loss_weight)
  net:   conv -> BN -> ReLU -> max pool -> conv -> ReLU -> avg pool -> flatten -> linear;
         loss = cross_entropy(logits, labels), mean over the batch

For each model it saves the input, every parameter and buffer, the outputs, the loss, the gradient
of the loss w.r.t. the input and every parameter, and a second-order quantity: with g = d loss / dx
(recorded with create_graph=True), gradnorm = sum(g * g) and its gradient w.r.t. the input and every
parameter. Batch-norm running statistics are saved before and after the one training-mode forward,
and the block's eval-mode output uses the updated statistics.

Run with Debian's PyTorch from the repository root: /usr/bin/python3 tests/golden/make_fixtures.py
Everything is float64 and seeded, so the files are reproducible.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
MOMENTUM = 0.1
EPS = 1e-5


def conv_weight(out_channels, in_channels, size):
    fan_in = in_channels * size * size
    return torch.randn(out_channels, in_channels, size, size) / fan_in**0.5


def batch_norm_params(prefix, channels):
    """Affine parameters away from the (1, 0) default and non-trivial running statistics."""
    params = {
        f"{prefix}_weight": torch.rand(channels) + 0.5,
        f"{prefix}_bias": 0.2 * torch.randn(channels),
    }
    buffers = {
        f"{prefix}_running_mean": 0.1 * torch.randn(channels),
        f"{prefix}_running_var": torch.rand(channels) + 0.5,
    }
    return params, buffers


def batch_norm(x, p, buffers, prefix, training):
    return F.batch_norm(x, buffers[f"{prefix}_running_mean"], buffers[f"{prefix}_running_var"],
                        p[f"{prefix}_weight"], p[f"{prefix}_bias"], training=training,
                        momentum=MOMENTUM, eps=EPS)


def block_forward(x, p, buffers, training):
    out = F.conv2d(x, p["conv1_weight"], stride=2, padding=1)
    out = F.relu(batch_norm(out, p, buffers, "bn1", training))
    out = F.conv2d(out, p["conv2_weight"], padding=1)
    out = batch_norm(out, p, buffers, "bn2", training)
    shortcut = F.conv2d(x, p["shortcut_conv_weight"], stride=2)
    shortcut = batch_norm(shortcut, p, buffers, "shortcut_bn", training)
    return F.relu(out + shortcut)


def net_forward(x, p, buffers, training):
    out = F.conv2d(x, p["conv1_weight"], p["conv1_bias"], padding=1)
    out = F.relu(batch_norm(out, p, buffers, "bn1", training))
    out = F.max_pool2d(out, 2)
    out = F.relu(F.conv2d(out, p["conv2_weight"], p["conv2_bias"], padding=1))
    out = F.avg_pool2d(out, 2)
    return F.linear(torch.flatten(out, 1), p["fc_weight"], p["fc_bias"])


def gradients(loss, x, params):
    """First-order gradients, then the gradient of ||d loss / dx||^2 w.r.t. x and the parameters."""
    names = list(params)
    leaves = [x] + [params[n] for n in names]
    first = torch.autograd.grad(loss, leaves, retain_graph=True)
    (g,) = torch.autograd.grad(loss, x, create_graph=True)
    gradnorm = (g * g).sum()
    second = torch.autograd.grad(gradnorm, leaves, allow_unused=True)
    second = [torch.zeros_like(t) if s is None else s for s, t in zip(second, leaves)]
    out = {"grad_x": first[0], "gradnorm": gradnorm, "gradnorm_grad_x": second[0]}
    for name, d1, d2 in zip(names, first[1:], second[1:]):
        out[f"grad_{name}"] = d1
        out[f"gradnorm_grad_{name}"] = d2
    return out


def initial_buffers(buffers):
    return {f"{name}_initial": t.clone() for name, t in buffers.items()}


def make_block():
    x = torch.randn(2, 3, 8, 8, requires_grad=True)
    params = {"conv1_weight": conv_weight(4, 3, 3), "conv2_weight": conv_weight(4, 4, 3),
              "shortcut_conv_weight": conv_weight(4, 3, 1)}
    buffers = {}
    for prefix in ("bn1", "bn2", "shortcut_bn"):
        p, b = batch_norm_params(prefix, 4)
        params.update(p)
        buffers.update(b)
    for t in params.values():
        t.requires_grad_()
    loss_weight = torch.randn(2, 4, 4, 4)
    saved = {"x": x, **params, **initial_buffers(buffers), "loss_weight": loss_weight}

    out = block_forward(x, params, buffers, training=True)
    loss = (out * loss_weight).sum()
    saved.update({"out": out, "loss": loss, **gradients(loss, x, params)})
    saved.update({f"{name}_updated": t for name, t in buffers.items()})
    with torch.no_grad():
        saved["eval_out"] = block_forward(x, params, buffers, training=False)
    return saved


def make_net():
    x = torch.randn(3, 1, 8, 8, requires_grad=True)
    labels = torch.tensor([4, 0, 2], dtype=torch.int64)
    params = {"conv1_weight": conv_weight(4, 1, 3), "conv1_bias": 0.1 * torch.randn(4)}
    bn_params, buffers = batch_norm_params("bn1", 4)
    params.update(bn_params)
    params.update({"conv2_weight": conv_weight(6, 4, 3), "conv2_bias": 0.1 * torch.randn(6),
                   "fc_weight": torch.randn(5, 24) / 24**0.5, "fc_bias": 0.1 * torch.randn(5)})
    for t in params.values():
        t.requires_grad_()
    saved = {"x": x, "labels": labels, **params, **initial_buffers(buffers)}

    logits = net_forward(x, params, buffers, training=True)
    loss = F.cross_entropy(logits, labels)
    saved.update({"logits": logits, "loss": loss, **gradients(loss, x, params)})
    saved.update({f"{name}_updated": t for name, t in buffers.items()})
    return saved


def write(prefix, tensors):
    for name, t in tensors.items():
        np.save(os.path.join(OUT_DIR, f"{prefix}_{name}.npy"), t.detach().contiguous().numpy())


def main():
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(20240601)
    write("block", make_block())
    write("net", make_net())


if __name__ == "__main__":
    main()
