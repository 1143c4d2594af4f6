#!/usr/bin/python3
"""Writes the PyTorch interop fixture of tests/nn/io/safetensors_test.cpp.

A Conv2d(1, 2, 3) + BatchNorm2d(2) state_dict (affine parameters away from their defaults, after
one training-mode forward, so the running statistics move and num_batches_tracked is an int64
scalar 1), plus one float16 and one bfloat16
tensor, saved as safetensors_torch_state.safetensors with metadata {"attrax": '{"arch": "test"}'}.
The bytes are written by hand with struct + json, as a user without the safetensors package would:
an 8-byte little-endian header length N, N bytes of JSON padded with spaces to a multiple of 8,
then the raw little-endian tensor bytes back to back.

safetensors_torch_state.json holds the same values for the C++ test to compare element by element:
{"metadata": {...}, "tensors": {name: {"dtype": "F32", "shape": [...], "values": [...]}}}, with
float16 / bfloat16 values widened to float32 exactly.

Run with Debian's PyTorch from the repository root:
    /usr/bin/python3 tests/golden/make_safetensors_fixture.py
Print any safetensors file (e.g. one written by attrax) with the same reader:
    /usr/bin/python3 tests/golden/make_safetensors_fixture.py --read FILE
"""
import json
import os
import struct
import sys

import torch

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.float16: "F16",
          torch.bfloat16: "BF16"}
TORCH_DTYPES = {name: dtype for dtype, name in DTYPES.items()}
METADATA = {"attrax": json.dumps({"arch": "test"})}


def write_safetensors(path, tensors, metadata):
    header, offset = {"__metadata__": metadata}, 0
    for name, t in tensors.items():
        size = t.numel() * t.element_size()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for t in tensors.values():
            # a bit-preserving view as bytes (numpy has no bfloat16)
            f.write(t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        raw = bytearray(data[8 + length + begin:8 + length + end])
        flat = torch.frombuffer(raw, dtype=TORCH_DTYPES[entry["dtype"]]) if raw else \
            torch.empty(0, dtype=TORCH_DTYPES[entry["dtype"]])
        tensors[name] = flat.reshape(entry["shape"])
    return tensors, metadata


def make_state():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    torch.nn.init.uniform_(model[1].weight, 0.5, 1.5)
    torch.nn.init.normal_(model[1].bias, std=0.2)
    model.train()
    model(torch.randn(2, 1, 5, 5))
    state = {name: t.detach().clone() for name, t in model.state_dict().items()}
    state["extra.float16"] = torch.tensor([1.0, -2.5, 65504.0, 2.0**-24, 0.1, -0.0], dtype=torch.float16)
    state["extra.bfloat16"] = torch.randn(2, 3).to(torch.bfloat16)
    return state


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--read":
        tensors, metadata = read_safetensors(sys.argv[2])
        print("metadata:", metadata)
        for name, t in tensors.items():
            print(f"{name}: {t.dtype} {list(t.shape)} {t.flatten().tolist()}")
        return
    state = make_state()
    path = os.path.join(OUT_DIR, "safetensors_torch_state.safetensors")
    write_safetensors(path, state, METADATA)
    tensors, metadata = read_safetensors(path)
    assert metadata == METADATA and all(torch.equal(tensors[n], t) for n, t in state.items())
    expected = {name: {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                       "values": (t.float() if t.is_floating_point() else t).flatten().tolist()}
                for name, t in state.items()}
    with open(os.path.join(OUT_DIR, "safetensors_torch_state.json"), "w") as f:
        json.dump({"metadata": METADATA, "tensors": expected}, f)


if __name__ == "__main__":
    main()
