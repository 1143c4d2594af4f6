#!/usr/bin/python3
"""Writes the model fixtures of tests/models/golden_models_test.cpp: every registry architecture
rebuilt in PyTorch under exactly attrax's state_dict names, run once in eval and once in train mode.

  model_resnet8.safetensors          resnet, depth 8, width 4, 1x12x12 -> 5 classes, relu
  model_resnet20.safetensors         resnet, depth 20, width 4, 3x8x8 -> 10 classes, relu
  model_preact_resnet8.safetensors   preact_resnet, depth 8, width 4, 1x12x12 -> 10, leaky_relu:0.1
  model_rar_cnn.safetensors          rar_cnn, 1x12x12 -> 10 classes, relu
  model_mlp.safetensors              mlp, 2 hidden layers of 16, 1x12x12 -> 10 classes, softplus:2

Each file is a safetensors file (written by hand: the safetensors package is not needed) holding
  state.<name>    the state_dict entry <name> (float32; num_batches_tracked int64), PyTorch's order
  input           float32 [2, C, H, W] in [0, 1]
  eval_logits     float64 logits of the model in eval mode (the state_dict's running statistics)
  train_logits    float64 logits of one train-mode forward after that (batch statistics)
  updated.<name>  every batch-norm buffer after the train-mode forward (running stats float64)
and in __metadata__ (JSON strings):
  config          the attrax ModelConfig, whose mean/std the script applies before its network
  state_dict      [[name, shape], ...] of every state_dict entry in PyTorch's order
  generated       "1" when the state.* tensors are left out and every value follows weight_formula
                  (rar_cnn: its 600k weights would not fit in a small fixture)
  parameter_count the number of parameters

The references run in float64 on the float32-rounded weights and input, so they carry only the
rounding of attrax's float32 arithmetic. Batch-norm affine parameters and running statistics are
away from their defaults and num_batches_tracked starts at 7.

Run with Debian's PyTorch from the repository root: /usr/bin/python3 tests/golden/make_model_fixtures.py
The script is seeded, so the files are reproducible (with the same PyTorch version, here 1.13).
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
BATCH = 2


# ---------------------------------------------------------------------------------------------------
# Activations as attrax's ActivationSpec strings
# ---------------------------------------------------------------------------------------------------

def activation(spec):
    fields = spec.split(":")
    if fields[0] == "relu":
        return F.relu
    if fields[0] == "leaky_relu":
        slope = float(fields[1])
        return lambda x: F.leaky_relu(x, slope)
    if fields[0] == "softplus":
        beta = float(fields[1])
        return lambda x: F.softplus(x, beta)
    raise ValueError(spec)


# ---------------------------------------------------------------------------------------------------
# The architectures, named as attrax's models
# ---------------------------------------------------------------------------------------------------

def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride, 1, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, act):
        super().__init__()
        self.act = act
        self.conv1 = conv3x3(cin, cout, stride)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = conv3x3(cout, cout)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.act(out + shortcut)


class ResNet(nn.Module):
    def __init__(self, depth, width, cin, classes, act):
        super().__init__()
        self.act = act
        blocks = (depth - 2) // 6
        self.conv1 = conv3x3(cin, width)
        self.bn1 = nn.BatchNorm2d(width)
        channels = width
        for stage in range(3):
            layers = []
            for b in range(blocks):
                stride = 2 if stage > 0 and b == 0 else 1
                layers.append(BasicBlock(channels, width << stage, stride, act))
                channels = width << stage
            setattr(self, f"layer{stage + 1}", nn.Sequential(*layers))
        self.fc = nn.Linear(channels, classes)

    def forward(self, z):
        a = self.act(self.bn1(self.conv1(z)))
        a = self.layer3(self.layer2(self.layer1(a)))
        return self.fc(a.mean(dim=(2, 3)))


class PreActBlock(nn.Module):
    def __init__(self, cin, cout, stride, act):
        super().__init__()
        self.act = act
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = conv3x3(cin, cout, stride)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = conv3x3(cout, cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False))

    def forward(self, x):
        h = self.act(self.bn1(x))
        out = self.conv2(self.act(self.bn2(self.conv1(h))))
        return out + (x if self.downsample is None else self.downsample(h))


class PreActResNet(nn.Module):
    def __init__(self, depth, width, cin, classes, act):
        super().__init__()
        self.act = act
        blocks = (depth - 2) // 6
        self.conv1 = conv3x3(cin, width)
        channels = width
        for stage in range(3):
            layers = []
            for b in range(blocks):
                stride = 2 if stage > 0 and b == 0 else 1
                layers.append(PreActBlock(channels, width << stage, stride, act))
                channels = width << stage
            setattr(self, f"layer{stage + 1}", nn.Sequential(*layers))
        self.bn = nn.BatchNorm2d(channels)
        self.fc = nn.Linear(channels, classes)

    def forward(self, z):
        a = self.layer3(self.layer2(self.layer1(self.conv1(z))))
        return self.fc(self.act(self.bn(a)).mean(dim=(2, 3)))


class RarCnn(nn.Module):
    def __init__(self, cin, size, classes, act):
        super().__init__()
        self.act = act
        pooled = size // 2 // 2
        self.conv1 = nn.Conv2d(cin, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = nn.Linear(64 * pooled * pooled, 1024)
        self.fc2 = nn.Linear(1024, classes)

    def forward(self, z):
        a = F.max_pool2d(self.act(self.conv1(z)), 2)
        a = F.max_pool2d(self.act(self.conv2(a)), 2)
        return self.fc2(self.act(self.fc1(torch.flatten(a, 1))))


class Mlp(nn.Module):
    def __init__(self, depth, width, cin, size, classes, act):
        super().__init__()
        self.act = act
        self.depth = depth
        features = cin * size * size
        for i in range(1, depth + 1):
            setattr(self, f"fc{i}", nn.Linear(features, width))
            features = width
        setattr(self, f"fc{depth + 1}", nn.Linear(features, classes))

    def forward(self, z):
        a = torch.flatten(z, 1)
        for i in range(1, self.depth + 1):
            a = self.act(getattr(self, f"fc{i}")(a))
        return getattr(self, f"fc{self.depth + 1}")(a)


def build(config):
    act = activation(config["activation"])
    arch, c = config["arch"], config
    if arch == "resnet":
        return ResNet(c["depth"], c["width"], c["in_channels"], c["num_classes"], act)
    if arch == "preact_resnet":
        return PreActResNet(c["depth"], c["width"], c["in_channels"], c["num_classes"], act)
    if arch == "rar_cnn":
        return RarCnn(c["in_channels"], c["input_size"], c["num_classes"], act)
    return Mlp(c["depth"], c["width"], c["in_channels"], c["input_size"], c["num_classes"], act)


# ---------------------------------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------------------------------

def weight_formula(index, shape):
    """The values of state_dict entry number `index` (0-based) of `shape`, reproduced bit for bit by
    the C++ test: h = ((i + 1) * 2654435761 + (index + 1) * 97531) mod 2^24 for element i,
    value = float32((2 h / 2^24 - 1) * scale), scale = 1 / sqrt(prod(shape[1:])) for rank >= 2,
    else 0.1; all in float64 arithmetic (exact apart from the product and the final rounding)."""
    n = int(np.prod(shape, dtype=np.int64))
    i = np.arange(n, dtype=np.uint64)
    h = ((i + np.uint64(1)) * np.uint64(2654435761) + np.uint64((index + 1) * 97531)) % np.uint64(1 << 24)
    u = h.astype(np.float64) / 16777216.0
    scale = 1.0 / np.sqrt(float(np.prod(shape[1:]))) if len(shape) >= 2 else 0.1
    return ((2.0 * u - 1.0) * scale).astype(np.float32).reshape(shape)


def randomise(model):
    """Random float32 weights (kept small enough that activations stay O(1)), batch-norm affine
    parameters and running statistics away from their defaults, num_batches_tracked = 7."""
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, nn.BatchNorm2d):
                c = module.num_features
                module.weight.copy_(torch.rand(c) + 0.5)
                module.bias.copy_(0.2 * torch.randn(c))
                module.running_mean.copy_(0.1 * torch.randn(c))
                module.running_var.copy_(torch.rand(c) + 0.5)
                module.num_batches_tracked.fill_(7)
            elif isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.copy_(torch.randn(module.weight.shape) / fan_in**0.5)
                if module.bias is not None:
                    module.bias.copy_(0.1 * torch.randn(module.bias.shape))


def set_formula_weights(model):
    with torch.no_grad():
        for index, (name, t) in enumerate(model.state_dict().items()):
            t.copy_(torch.from_numpy(weight_formula(index, list(t.shape))))


# ---------------------------------------------------------------------------------------------------
# safetensors, by hand
# ---------------------------------------------------------------------------------------------------

DTYPES = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64"}


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, numpy array) written in this order; metadata: str -> str."""
    header, blobs, offset = {}, [], 0
    for name, array in tensors:
        array = np.array(array, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": DTYPES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


# ---------------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------------

def make(name, config, generated=False):
    model = build(config)
    if generated:
        set_formula_weights(model)
    else:
        randomise(model)
    state = model.state_dict()
    parameter_count = sum(p.numel() for p in model.parameters())
    size, cin = config["input_size"], config["in_channels"]
    x = torch.rand(BATCH, cin, size, size, dtype=torch.float32)

    mean = torch.tensor(config["mean"], dtype=torch.float64).view(1, -1, 1, 1)
    std = torch.tensor(config["std"], dtype=torch.float64).view(1, -1, 1, 1)
    reference = build(config)
    reference.load_state_dict(state)
    reference.double()
    z = (x.double() - mean) / std
    with torch.no_grad():
        reference.eval()
        eval_logits = reference(z)
        reference.train()
        train_logits = reference(z)

    tensors = []
    if not generated:
        tensors += [(f"state.{k}", t.numpy()) for k, t in state.items()]
    tensors += [("input", x.numpy()), ("eval_logits", eval_logits.numpy()),
                ("train_logits", train_logits.numpy())]
    for k, t in reference.state_dict().items():
        if k.endswith(("running_mean", "running_var", "num_batches_tracked")):
            tensors.append((f"updated.{k}", t.numpy()))
    metadata = {
        "config": json.dumps(config),
        "state_dict": json.dumps([[k, list(t.shape)] for k, t in state.items()]),
        "generated": "1" if generated else "0",
        "parameter_count": str(parameter_count),
    }
    path = os.path.join(OUT_DIR, f"model_{name}.safetensors")
    write_safetensors(path, tensors, metadata)
    print(f"{path}: {os.path.getsize(path)} bytes, {parameter_count} parameters")


def config(arch, depth, width, cin, size, classes, act, mean, std):
    return {"arch": arch, "depth": depth, "width": width, "in_channels": cin,
            "num_classes": classes, "input_size": size, "activation": act, "mean": mean, "std": std}


def main():
    torch.manual_seed(20240611)
    make("resnet8", config("resnet", 8, 4, 1, 12, 5, "relu", [0.3], [0.4]))
    make("resnet20", config("resnet", 20, 4, 3, 8, 10, "relu", [0.4914, 0.4822, 0.4465],
                            [0.247, 0.243, 0.261]))
    make("preact_resnet8", config("preact_resnet", 8, 4, 1, 12, 10, "leaky_relu:0.1",
                                  [0.286], [0.353]))
    make("rar_cnn", config("rar_cnn", 8, 16, 1, 12, 10, "relu", [0.1307], [0.3081]),
         generated=True)
    make("mlp", config("mlp", 2, 16, 1, 12, 10, "softplus:2", [0.5], [0.25]))


if __name__ == "__main__":
    main()
