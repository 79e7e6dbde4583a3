"""Write a checkpoint from train.py in an official layout, float32.

  /usr/bin/python3 export.py --ckpt /tmp/ckpt-mamba1.pt --out ../../testdata/mamba1-shakespeare
  /usr/bin/python3 export.py --ckpt /tmp/ckpt-mamba2.pt --out ../../testdata/mamba2-shakespeare

Mamba1: state-spaces layout, pytorch_model.bin (torch.save of the state dict, zip format;
lm_head.weight shares its storage with backbone.embedding.weight, as in the official files)
and a MambaConfig config.json.
Mamba2: Hugging Face layout, model.safetensors and a Mamba2Config config.json.

Also prints the mean loss (nats/byte) of the exported model on 128 windows of 256 bytes
from the training split and from the held-out split, and the unigram entropy of the text.
"""

import argparse
import collections
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamba_ref import MambaLM, official_state_dict, write_safetensors  # noqa: E402
from train import eval_loss, load_split, make_config, to_tensor  # noqa: E402


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def mamba1_config_json(cfg):
    return {
        "d_model": cfg.d_model,
        "d_intermediate": 0,
        "n_layer": cfg.n_layer,
        "vocab_size": cfg.vocab_size,
        "ssm_cfg": {"layer": "Mamba1", "d_state": cfg.d_state, "d_conv": cfg.d_conv,
                    "expand": cfg.expand},
        "attn_layer_idx": [],
        "attn_cfg": {},
        "rms_norm": True,
        "residual_in_fp32": True,
        "fused_add_norm": True,
        "pad_vocab_size_multiple": cfg.pad_vocab_size_multiple,
        "tie_embeddings": True,
    }


def mamba2_config_json(cfg):
    # json writes float("inf") as the bare token Infinity, as the Hugging Face files do.
    return {
        "architectures": ["Mamba2ForCausalLM"],
        "model_type": "mamba2",
        "hidden_size": cfg.d_model,
        "num_hidden_layers": cfg.n_layer,
        "vocab_size": cfg.vocab_size,
        "pad_vocab_size_multiple": cfg.pad_vocab_size_multiple,
        "state_size": cfg.d_state,
        "head_dim": cfg.headdim,
        "num_heads": cfg.nheads,
        "n_groups": cfg.ngroups,
        "expand": cfg.expand,
        "conv_kernel": cfg.d_conv,
        "chunk_size": cfg.chunk_size,
        "use_bias": False,
        "use_conv_bias": True,
        "hidden_act": "silu",
        "layer_norm_epsilon": 1e-5,
        "rms_norm": True,
        "norm_before_gate": False,
        "residual_in_fp32": True,
        "tie_word_embeddings": False,
        "time_step_rank": "auto",
        "time_step_min": cfg.dt_min,
        "time_step_max": cfg.dt_max,
        "time_step_floor": cfg.dt_init_floor,
        "time_step_limit": [0.0, float("inf")],
        "rescale_prenorm_residual": False,
        "initializer_range": 0.1,
        "use_cache": True,
        "bos_token_id": None,
        "eos_token_id": None,
        "pad_token_id": None,
        "torch_dtype": "float32",
    }


def unigram_entropy(data):
    counts = collections.Counter(data)
    n = len(data)
    return -sum(c / n * math.log(c / n) for c in counts.values())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)

    ck = torch.load(args.ckpt)
    arch = ck["arch"]
    cfg = make_config(arch)
    model = MambaLM(cfg)
    model.load_state_dict(ck["state_dict"])
    model.eval()
    os.makedirs(args.out, exist_ok=True)

    sd = official_state_dict(model)
    if arch == "mamba1":
        sd = collections.OrderedDict((k, v.clone() if k != "lm_head.weight" else None)
                                     for k, v in sd.items())
        sd["lm_head.weight"] = sd["backbone.embedding.weight"]  # tied: same storage
        path = os.path.join(args.out, "pytorch_model.bin")
        torch.save(sd, path + ".tmp")
        os.replace(path + ".tmp", path)
        write_json(os.path.join(args.out, "config.json"), mamba1_config_json(cfg))
    else:
        ordered = collections.OrderedDict((k, sd[k]) for k in sorted(sd))
        write_safetensors(os.path.join(args.out, "model.safetensors"), ordered,
                          {"format": "pt"})
        write_json(os.path.join(args.out, "config.json"), mamba2_config_json(cfg))

    train_b, held_b = load_split()
    with torch.no_grad():
        tl = eval_loss(model, to_tensor(train_b), 256, 128)
        hl = eval_loss(model, to_tensor(held_b), 256, 128)
    info = {
        "arch": arch,
        "steps": ck["step"],
        "train_loss_128x256": tl,
        "heldout_loss_128x256": hl,
        "unigram_entropy_text": unigram_entropy(train_b + held_b),
        "unigram_entropy_train": unigram_entropy(train_b),
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    print(json.dumps(info, indent=2))
    write_json(os.path.join(args.out, "training.json"), info)


if __name__ == "__main__":
    main()
