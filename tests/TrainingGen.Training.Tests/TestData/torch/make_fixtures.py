"""Writes the PyTorch fixtures of TrainingGen's safetensors and BatchNorm tests.

Run with Debian's PyTorch (python3-torch, torch 1.13):  /usr/bin/python3 make_fixtures.py
torch 1.13 has no safetensors module, so the format is written by hand here: an 8-byte
little-endian header length, the JSON header ({"name": {"dtype", "shape", "data_offsets"}},
"__metadata__"), then each tensor's raw little-endian bytes. The tensors themselves come from torch.
Nothing here is needed to build or test TrainingGen; the outputs are committed.
"""
import json
import struct
import sys

import torch

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL"}


def raw_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:           # numpy has no bfloat16: take the bits
        t = t.view(torch.int16)
    return t.numpy().tobytes()              # x86-64: little-endian


def save(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = raw_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def dtypes():
    # One tensor per dtype, with values at the edges of each type (the test lists the same values).
    save("dtypes.safetensors", {
        "i64": torch.tensor([[0, -1, 2**62 + 1], [-(2**63), 2**63 - 1, 16777217]], dtype=torch.int64),
        "i32": torch.tensor([-(2**31), -7, 0, 2**31 - 1], dtype=torch.int32),
        "u8": torch.tensor([0, 1, 128, 255], dtype=torch.uint8),
        "mask": torch.tensor([[True, False, True]], dtype=torch.bool),
        "f32": torch.tensor([1.5, -2.25, 3e-8], dtype=torch.float32),
        "f64": torch.tensor([0.1, -1e300], dtype=torch.float64),
        "f16": torch.tensor([0.5, -65504.0], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -3.0, 0.15625], dtype=torch.bfloat16),
        "scalar": torch.tensor(42, dtype=torch.int64),
    }, {"format": "pt"})


def momentum_none():
    # BatchNorm2d(2, momentum=None) over three training batches: the running statistics move by
    # the cumulative average 1/num_batches_tracked. References in float64 (same float32 inputs).
    g = torch.Generator().manual_seed(12)
    xs = [torch.randn(4, 2, 3, 3, generator=g) * (1.0 + k) + k for k in range(3)]
    bn64 = torch.nn.BatchNorm2d(2, momentum=None).double().train()
    bn32 = torch.nn.BatchNorm2d(2, momentum=None).train()
    out = {}
    for k, x in enumerate(xs, start=1):
        out[f"x{k}"] = x
        bn64(x.double())
        bn32(x)
        out[f"running_mean{k}"] = bn64.running_mean.clone()
        out[f"running_var{k}"] = bn64.running_var.clone()
    save("bn_momentum_none.safetensors", out, {"format": "pt", "what": "inputs and float64 running statistics after each pass"})
    # The float32 module's own state_dict, int64 num_batches_tracked included, as torch keeps it.
    save("bn_momentum_none_state.safetensors", {k: v for k, v in bn32.state_dict().items()}, {"format": "pt"})
    assert int(bn32.num_batches_tracked) == 3


if __name__ == "__main__":
    print("torch", torch.__version__, file=sys.stderr)
    dtypes()
    momentum_none()
