"""fixturelib.py — what the make-*-fixtures.py scripts share: loading a
sibling script as a module, and a minimal safetensors writer.

Imported by the scripts beside it (they put their own folder on sys.path).
"""
import importlib.util
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16",
          torch.bfloat16: "BF16", torch.int64: "I64"}


def load(name, file):
    """The script FILE of this folder (a name with hyphens) as module NAME."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tensor_bytes(t):
    """A tensor's data, little-endian, in its own dtype."""
    t = t.detach().contiguous().cpu()
    if t.dtype in (torch.float16, torch.bfloat16):
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    little = {torch.float32: "<f4", torch.float64: "<f8", torch.int64: "<i8"}
    if t.dtype in little:
        return t.numpy().astype(little[t.dtype]).tobytes()
    raise ValueError(t.dtype)


def write_safetensors(path, tensors, metadata=None):
    """tensors: a dict name -> tensor, or a list of (name, tensor), written
    in that order; metadata: a dict, its values written as strings."""
    items = tensors.items() if isinstance(tensors, dict) else tensors
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, t in items:
        b = tensor_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
