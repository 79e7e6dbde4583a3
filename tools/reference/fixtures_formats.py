#!/usr/bin/python3
"""Write the checkpoint fixtures of formats/testdata with PyTorch and plain Python.

Run with Debian's /usr/bin/python3 (torch 1.13, numpy) from the repository root:

    /usr/bin/python3 tools/reference/fixtures_formats.py

Everything is independent of the Go code: PyTorch files come from torch.save,
safetensors files are assembled by hand with struct and json, config.json files
are dumped by Python's json module (which writes Infinity for float('inf')).
expected.json records every tensor's dtype, shape and float32 values as
computed by torch, row-major.
"""

import collections
import json
import os
import struct

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "formats", "testdata")
OUT = os.path.normpath(OUT)

gen = torch.Generator().manual_seed(1234)
expected = {}


def randn(*shape, dtype=torch.float32):
    return torch.randn(*shape, generator=gen).to(dtype)


def record(file, name, t):
    """Remember a tensor's dtype, shape and values (float32, row-major)."""
    dtype = {
        torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
        torch.float64: "F64", torch.int8: "I8", torch.uint8: "U8",
        torch.int32: "I32", torch.int64: "I64",
    }[t.dtype]
    vals = t.detach().to(torch.float32).contiguous().reshape(-1).tolist()
    expected.setdefault(file, {})[name] = {"dtype": dtype, "shape": list(t.shape), "values": vals}


def save_torch(path, obj, tensors, file_key):
    torch.save(obj, os.path.join(OUT, path))
    for name, t in tensors.items():
        record(file_key, name, t)


def write_json(path, obj, indent=2):
    with open(os.path.join(OUT, path), "w") as f:
        json.dump(obj, f, indent=indent, sort_keys=True)
        f.write("\n")


# ---------------------------------------------------------------- PyTorch zip

def torch_mixed():
    base = randn(10)
    mat = randn(4, 6)
    shared = randn(6)
    sd = collections.OrderedDict()
    sd["f32"] = randn(3, 4)
    sd["f16"] = randn(5, dtype=torch.float16)
    sd["bf16"] = randn(2, 3, dtype=torch.bfloat16)
    sd["f64"] = randn(3, dtype=torch.float64)
    sd["transposed"] = randn(4, 3).t()                 # non-contiguous, strides (1, 3)
    sd["slice"] = base[3:8]                            # storage offset 3
    sd["block"] = mat[1:3, 2:5]                        # offset 8, strides (6, 1)
    sd["shared_a"] = shared.view(2, 3)                 # two views of one storage
    sd["shared_b"] = shared[2:]
    sd["f16_transposed"] = randn(3, 2, dtype=torch.float16).t()
    sd["i8"] = torch.tensor([-128, -1, 0, 5, 127], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 1, 255], dtype=torch.uint8)
    sd["i32"] = torch.tensor([[-7, 1 << 20], [3, 0]], dtype=torch.int32)
    sd["i64"] = torch.tensor([-3, 1 << 24], dtype=torch.int64)
    sd["scalar"] = torch.tensor(2.5)
    sd["param"] = torch.nn.Parameter(randn(2))          # pickled via _rebuild_parameter
    tensors = dict(sd)
    sd["python_scale"] = 0.125                         # a non-tensor entry, skipped
    save_torch("torch_mixed.bin", sd, tensors, "torch_mixed.bin")
    assert not sd["transposed"].is_contiguous()
    assert sd["slice"].storage_offset() == 3
    assert sd["shared_a"].data_ptr() != sd["shared_b"].data_ptr()

    small = collections.OrderedDict(w=randn(2, 2))
    save_torch("torch_wrapped_state_dict.bin", {"state_dict": small, "epoch": 3}, small, "torch_wrapped_state_dict.bin")
    small = collections.OrderedDict(w=randn(3))
    save_torch("torch_wrapped_model.bin", {"model": small, "step": 10}, small, "torch_wrapped_model.bin")


# ---------------------------------------------------------------- safetensors by hand

def st_bytes(t):
    """Little-endian bytes and safetensors dtype of a tensor, via numpy views."""
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes(), "BF16"
    np_dtype, name = {
        torch.float32: ("<f4", "F32"), torch.float16: ("<f2", "F16"), torch.float64: ("<f8", "F64"),
        torch.int8: ("i1", "I8"), torch.uint8: ("u1", "U8"), torch.int32: ("<i4", "I32"),
        torch.int64: ("<i8", "I64"),
    }[t.dtype]
    return t.numpy().astype(np_dtype).tobytes(), name


def write_safetensors(path, tensors, metadata=None, file_key=None, keep=True):
    header, blobs, off = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, t in tensors.items():  # insertion order, not sorted: readers must not care
        b, dt = st_bytes(t)
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
        if keep:
            record(file_key or path, name, t)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(OUT, path), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def safetensors_hand():
    t = collections.OrderedDict()
    t["z_f32"] = randn(2, 3)
    t["a_f16"] = randn(4, dtype=torch.float16)
    t["m_bf16"] = randn(3, 2, dtype=torch.bfloat16)
    t["f64"] = randn(2, dtype=torch.float64)
    t["i8"] = torch.tensor([-128, 3, 127], dtype=torch.int8)
    t["u8"] = torch.tensor([0, 200], dtype=torch.uint8)
    t["i32"] = torch.tensor([-5, 70000], dtype=torch.int32)
    t["i64"] = torch.tensor([[1], [-2]], dtype=torch.int64)
    t["scalar"] = torch.tensor(-1.5)
    t["empty"] = torch.zeros(0, 3)
    t["f16_specials"] = torch.tensor([65504.0, 6e-8, -0.0, 1e-5], dtype=torch.float16)
    write_safetensors("hand.safetensors", t, metadata={"format": "pt", "source": "fixtures_formats.py"})


# ---------------------------------------------------------------- tiny models

def mamba1_tensors(d, n_layer, vocab_rows, d_state, dt_rank, d_conv=4, expand=2):
    e = expand * d
    sd = collections.OrderedDict()
    sd["backbone.embedding.weight"] = randn(vocab_rows, d)
    for i in range(n_layer):
        p = f"backbone.layers.{i}."
        sd[p + "mixer.A_log"] = randn(e, d_state)
        sd[p + "mixer.D"] = randn(e)
        sd[p + "mixer.in_proj.weight"] = randn(2 * e, d)
        sd[p + "mixer.conv1d.weight"] = randn(e, 1, d_conv)
        sd[p + "mixer.conv1d.bias"] = randn(e)
        sd[p + "mixer.x_proj.weight"] = randn(dt_rank + 2 * d_state, e)
        sd[p + "mixer.dt_proj.weight"] = randn(e, dt_rank)
        sd[p + "mixer.dt_proj.bias"] = randn(e)
        sd[p + "mixer.out_proj.weight"] = randn(d, e)
        sd[p + "norm.weight"] = randn(d)
    sd["backbone.norm_f.weight"] = randn(d)
    return sd


def mamba2_tensors(d, n_layer, vocab_rows, d_state, headdim, ngroups, d_conv=4, expand=2, dtype=torch.float32):
    e = expand * d
    h = e // headdim
    conv = e + 2 * ngroups * d_state
    sd = collections.OrderedDict()
    sd["backbone.embedding.weight"] = randn(vocab_rows, d, dtype=dtype)
    for i in range(n_layer):
        p = f"backbone.layers.{i}."
        sd[p + "mixer.dt_bias"] = randn(h, dtype=dtype)
        sd[p + "mixer.A_log"] = randn(h, dtype=dtype)
        sd[p + "mixer.D"] = randn(h, dtype=dtype)
        sd[p + "mixer.in_proj.weight"] = randn(2 * e + 2 * ngroups * d_state + h, d, dtype=dtype)
        sd[p + "mixer.conv1d.weight"] = randn(conv, 1, d_conv, dtype=dtype)
        sd[p + "mixer.conv1d.bias"] = randn(conv, dtype=dtype)
        sd[p + "mixer.norm.weight"] = randn(e, dtype=dtype)
        sd[p + "mixer.out_proj.weight"] = randn(d, e, dtype=dtype)
        sd[p + "norm.weight"] = randn(d, dtype=dtype)
    sd["backbone.norm_f.weight"] = randn(d, dtype=dtype)
    return sd


def tiny_models():
    # state-spaces Mamba2 saved by torch.save, lm_head tied (same storage), half precision.
    os.makedirs(os.path.join(OUT, "tiny-mamba2-ss"), exist_ok=True)
    sd = mamba2_tensors(d=8, n_layer=2, vocab_rows=16, d_state=4, headdim=4, ngroups=2, dtype=torch.float16)
    sd["lm_head.weight"] = sd["backbone.embedding.weight"]
    save_torch("tiny-mamba2-ss/pytorch_model.bin", sd, sd, "tiny-mamba2-ss")
    write_json("tiny-mamba2-ss/config.json", {
        "d_model": 8, "d_intermediate": 0, "n_layer": 2, "vocab_size": 10,
        "ssm_cfg": {"layer": "Mamba2", "d_state": 4, "headdim": 4, "ngroups": 2, "chunk_size": 8},
        "attn_layer_idx": [], "attn_cfg": {}, "rms_norm": True, "residual_in_fp32": True,
        "fused_add_norm": True, "pad_vocab_size_multiple": 16, "tie_embeddings": True,
    })

    # Hugging Face Mamba1 in two safetensors shards with an index, tied lm_head omitted,
    # embedding under the plural name.
    os.makedirs(os.path.join(OUT, "tiny-mamba-hf-sharded"), exist_ok=True)
    sd = mamba1_tensors(d=8, n_layer=2, vocab_rows=16, d_state=4, dt_rank=2)
    for name, t in sd.items():
        record("tiny-mamba-hf-sharded", name, t)
    sd["backbone.embeddings.weight"] = sd.pop("backbone.embedding.weight")
    names = list(sd)
    shards = [names[: len(names) // 2], names[len(names) // 2:]]
    weight_map = {}
    for k, part in enumerate(shards):
        fname = f"model-{k + 1:05d}-of-00002.safetensors"
        write_safetensors(f"tiny-mamba-hf-sharded/{fname}", collections.OrderedDict((n, sd[n]) for n in part),
                          metadata={"format": "pt"}, keep=False)
        for n in part:
            weight_map[n] = fname
    total = sum(t.numel() * t.element_size() for t in sd.values())
    write_json("tiny-mamba-hf-sharded/model.safetensors.index.json",
               {"metadata": {"total_size": total}, "weight_map": weight_map})
    write_json("tiny-mamba-hf-sharded/config.json", {
        "architectures": ["MambaForCausalLM"], "model_type": "mamba", "hidden_size": 8, "num_hidden_layers": 2,
        "vocab_size": 16, "state_size": 4, "conv_kernel": 4, "expand": 2, "intermediate_size": 16,
        "time_step_rank": 2, "use_bias": False, "use_conv_bias": True, "layer_norm_epsilon": 1e-5,
        "residual_in_fp32": True, "tie_word_embeddings": True, "hidden_act": "silu",
    })


# ---------------------------------------------------------------- configs

def configs():
    os.makedirs(os.path.join(OUT, "configs"), exist_ok=True)
    # state-spaces/mamba-130m (the original file predates d_intermediate/attn fields).
    write_json("configs/state-spaces-mamba-130m.json", {
        "d_model": 768, "n_layer": 24, "vocab_size": 50277, "ssm_cfg": {}, "rms_norm": True,
        "residual_in_fp32": True, "fused_add_norm": True, "pad_vocab_size_multiple": 8,
    })
    write_json("configs/state-spaces-mamba2-130m.json", {
        "d_model": 768, "d_intermediate": 0, "n_layer": 24, "vocab_size": 50277,
        "ssm_cfg": {"layer": "Mamba2"}, "attn_layer_idx": [], "attn_cfg": {}, "rms_norm": True,
        "residual_in_fp32": True, "fused_add_norm": True, "pad_vocab_size_multiple": 16,
        "tie_embeddings": True,
    })
    # NVIDIA mamba2-8b converted to MambaLMHeadModel (convert_mamba2_8b_to_hf.py).
    write_json("configs/state-spaces-mamba2-8b.json", {
        "d_model": 4096, "d_intermediate": 0, "n_layer": 56, "vocab_size": 256000,
        "ssm_cfg": {"layer": "Mamba2", "ngroups": 8, "chunk_size": 128, "dt_limit": [0.0, float("inf")]},
        "attn_layer_idx": [], "attn_cfg": {}, "rms_norm": True, "residual_in_fp32": True,
        "fused_add_norm": True, "pad_vocab_size_multiple": 128, "tie_embeddings": False,
    })
    write_json("configs/hf-mamba-130m.json", {
        "architectures": ["MambaForCausalLM"], "bos_token_id": 0, "conv_kernel": 4, "d_inner": 1536,
        "d_model": 768, "eos_token_id": 0, "expand": 2, "fused_add_norm": True, "hidden_act": "silu",
        "hidden_size": 768, "initializer_range": 0.1, "intermediate_size": 1536, "layer_norm_epsilon": 1e-05,
        "model_type": "mamba", "n_layer": 24, "num_hidden_layers": 24, "pad_token_id": 0,
        "pad_vocab_size_multiple": 8, "rescale_prenorm_residual": False, "residual_in_fp32": True,
        "rms_norm": True, "state_size": 16, "time_step_floor": 0.0001, "time_step_init_scheme": "random",
        "time_step_max": 0.1, "time_step_min": 0.001, "time_step_rank": 48, "time_step_scale": 1.0,
        "torch_dtype": "float32", "transformers_version": "4.39.0.dev0", "use_bias": False,
        "use_cache": True, "use_conv_bias": True, "vocab_size": 50280,
    })
    write_json("configs/hf-mamba2-130m.json", {
        "architectures": ["Mamba2ForCausalLM"], "bos_token_id": 0, "chunk_size": 256, "conv_kernel": 4,
        "eos_token_id": 0, "expand": 2, "head_dim": 64, "hidden_act": "silu", "hidden_size": 768,
        "initializer_range": 0.1, "layer_norm_epsilon": 1e-05, "model_type": "mamba2", "n_groups": 1,
        "norm_before_gate": False, "num_heads": 24, "num_hidden_layers": 24, "pad_token_id": 0,
        "rescale_prenorm_residual": False, "residual_in_fp32": True, "rms_norm": True, "state_size": 128,
        "tie_word_embeddings": True, "time_step_floor": 0.0001, "time_step_limit": [0.0, float("inf")],
        "time_step_max": 0.1, "time_step_min": 0.001, "time_step_rank": 48, "torch_dtype": "float16",
        "transformers_version": "4.44.0.dev0", "use_bias": False, "use_cache": True, "use_conv_bias": True,
        "vocab_size": 50288,
    })
    # Mistral's Mamba-Codestral-7B (Mamba2, 8 groups, untied).
    write_json("configs/hf-mamba-codestral-7b.json", {
        "architectures": ["Mamba2ForCausalLM"], "model_type": "mamba2", "chunk_size": 256, "conv_kernel": 4,
        "expand": 2, "head_dim": 64, "hidden_act": "silu", "hidden_size": 4096, "layer_norm_epsilon": 1e-05,
        "n_groups": 8, "norm_before_gate": True, "num_heads": 128, "num_hidden_layers": 64,
        "residual_in_fp32": True, "rms_norm": True, "state_size": 128, "tie_word_embeddings": False,
        "time_step_limit": [0.0, float("inf")], "time_step_rank": 256, "use_bias": False,
        "use_conv_bias": True, "vocab_size": 32768,
    })


def rounding():
    """torch's float32 -> float16/bfloat16 rounding of edge cases and random values."""
    edge = [0.0, -0.0, 1.0, 1.00390625, 1.01171875, 1.0009765625, 1.0029296875, 65504.0, 65520.0, 65519.99,
            1e-8, 5.96e-8, 2.98e-8, 2.99e-8, 6.1e-5, 3.4028234663852886e38, -3.4028234663852886e38,
            1.1754943508222875e-38, 1e-45, float("inf"), float("-inf"), 0.1, -2.5, 3.14159]
    rnd = (torch.randn(200, generator=gen) * torch.exp(torch.randn(200, generator=gen) * 8)).tolist()
    x = torch.tensor(edge + rnd, dtype=torch.float32)
    expected["rounding"] = {
        "input_bits": x.view(torch.int32).tolist(),
        "f16_bits": (x.to(torch.float16).view(torch.int16).to(torch.int32) & 0xFFFF).tolist(),
        "bf16_bits": (x.to(torch.bfloat16).view(torch.int16).to(torch.int32) & 0xFFFF).tolist(),
    }


def sharded_torch_model():
    # state-spaces Mamba1 in two torch.save shards with pytorch_model.bin.index.json
    # (the layout transformers' save_pretrained uses for large PyTorch checkpoints).
    name = "tiny-mamba-ss-sharded-bin"
    os.makedirs(os.path.join(OUT, name), exist_ok=True)
    sd = mamba1_tensors(d=8, n_layer=1, vocab_rows=8, d_state=2, dt_rank=1)
    sd["lm_head.weight"] = randn(8, 8)
    names = list(sd)
    weight_map = {}
    for k, part in enumerate([names[:5], names[5:]]):
        fname = f"pytorch_model-{k + 1:05d}-of-00002.bin"
        torch.save(collections.OrderedDict((n, sd[n]) for n in part), os.path.join(OUT, name, fname))
        weight_map.update({n: fname for n in part})
    for n, t in sd.items():
        record(name, n, t)
    write_json(f"{name}/pytorch_model.bin.index.json", {"metadata": {"total_size": 0}, "weight_map": weight_map})
    write_json(f"{name}/config.json", {
        "d_model": 8, "n_layer": 1, "vocab_size": 5, "ssm_cfg": {"d_state": 2, "dt_rank": "auto"},
        "rms_norm": True, "residual_in_fp32": True, "fused_add_norm": True,
        "pad_vocab_size_multiple": 8, "tie_embeddings": False,
    })


def main():
    os.makedirs(OUT, exist_ok=True)
    torch_mixed()
    safetensors_hand()
    tiny_models()
    configs()
    rounding()
    sharded_torch_model()
    write_json("expected.json", expected, indent=None)


if __name__ == "__main__":
    main()
