"""Plain PyTorch (float32, CPU) reference for the Mamba1 and Mamba2 language models.

Written from the equations of the state-spaces/mamba blocks (mamba_simple.py, mamba2.py,
layernorm_gated.py, block.py, mixer_seq_simple.py):

  h = embedding[tokens]; res = None
  for each layer: res = h (+ res); u = RMSNorm(res); h = mixer(u)
  logits = RMSNorm_f(h + res) @ lm_head^T

Every mixer has three code paths:

  * forward(u, exact=False): the training path. Mamba1 runs its scan as a plain loop over
    time on precomputed exp(dt*A) and dt*B*x; Mamba2 uses the chunked SSD form.
  * forward(u, exact=True): the exact sequential float32 recurrence, one time step after
    the other, as a CPU engine computes it. Goldens come from this path. It also returns the
    decode state after the last token.
  * step(u_t, state): one decode step on (conv_state, ssm_state), the layout of mamba_ssm:
    conv_state [B, C, d_conv] holds the last d_conv pre-conv inputs, oldest first;
    ssm_state is [B, E, N] (Mamba1) or [B, H, P, N] (Mamba2).

Run `python3 mamba_ref.py` for the self-check: training path == sequential path ==
prefill-then-steps on random models and inputs.
"""

import json
import math
import os
import struct
import tempfile
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

NORM_EPS = 1e-5


# ----------------------------------------------------------------------------- configs


@dataclass
class Mamba1Config:
    d_model: int = 128
    n_layer: int = 4
    vocab_size: int = 256
    d_state: int = 16
    d_conv: int = 4
    expand: int = 2
    dt_rank: int = 0  # 0 means ceil(d_model / 16)
    pad_vocab_size_multiple: int = 8
    tie_embeddings: bool = True
    dt_min: float = 1e-3
    dt_max: float = 1e-1
    dt_init_floor: float = 1e-4

    arch = "mamba1"

    def __post_init__(self):
        if self.dt_rank == 0:
            self.dt_rank = math.ceil(self.d_model / 16)

    @property
    def d_inner(self):
        return self.expand * self.d_model

    @property
    def padded_vocab(self):
        m = self.pad_vocab_size_multiple
        return (self.vocab_size + m - 1) // m * m


@dataclass
class Mamba2Config:
    d_model: int = 96
    n_layer: int = 4
    vocab_size: int = 256
    d_state: int = 32
    d_conv: int = 4
    expand: int = 2
    headdim: int = 32
    ngroups: int = 2
    chunk_size: int = 256
    pad_vocab_size_multiple: int = 8
    tie_embeddings: bool = False
    dt_min: float = 1e-3
    dt_max: float = 1e-1
    dt_init_floor: float = 1e-4
    A_init_range: tuple = (1.0, 16.0)

    arch = "mamba2"

    @property
    def d_inner(self):
        return self.expand * self.d_model

    @property
    def nheads(self):
        return self.d_inner // self.headdim

    @property
    def conv_dim(self):
        return self.d_inner + 2 * self.ngroups * self.d_state

    @property
    def padded_vocab(self):
        m = self.pad_vocab_size_multiple
        return (self.vocab_size + m - 1) // m * m


# ----------------------------------------------------------------------------- helpers


def rms_norm(v, weight, eps=NORM_EPS):
    """v / sqrt(mean(v^2) + eps) * weight over the last axis."""
    return v * torch.rsqrt(v.pow(2).mean(-1, keepdim=True) + eps) * weight


def softplus(v):
    """log1p(exp(v)) for v <= 20, v above (torch's softplus with threshold 20)."""
    return F.softplus(v, beta=1.0, threshold=20.0)


def dt_bias_init(n, cfg):
    """Inverse softplus of dt drawn log-uniformly in [dt_min, dt_max], floored at dt_init_floor."""
    dt = torch.exp(
        torch.rand(n) * (math.log(cfg.dt_max) - math.log(cfg.dt_min)) + math.log(cfg.dt_min)
    ).clamp(min=cfg.dt_init_floor)
    return dt + torch.log(-torch.expm1(-dt))


def causal_conv_exact(xpre, weight, bias):
    """Depthwise causal conv, written out: out[t,c] = sum_k w[c,k] * x[t-K+1+k, c] + b[c].

    xpre [B, L, C], weight [C, 1, K], bias [C] -> [B, L, C]."""
    Bsz, L, C = xpre.shape
    K = weight.shape[-1]
    w = weight[:, 0, :]  # [C, K]
    xpad = torch.cat([xpre.new_zeros(Bsz, K - 1, C), xpre], dim=1)
    out = bias.expand(Bsz, L, C).clone()
    for k in range(K):
        out = out + w[:, k] * xpad[:, k : k + L, :]
    return out


def causal_conv_fast(xpre, conv):
    """Depthwise causal conv through nn.Conv1d (padding K-1, keep the first L outputs)."""
    L = xpre.shape[1]
    return conv(xpre.transpose(1, 2))[..., :L].transpose(1, 2)


def conv_state_after(xpre, K):
    """The last K pre-conv inputs, oldest first, zero-padded on the left: [B, C, K]."""
    Bsz, L, C = xpre.shape
    xpad = torch.cat([xpre.new_zeros(Bsz, K, C), xpre], dim=1)
    return xpad[:, -K:, :].transpose(1, 2).contiguous()


def conv_step(x_t, conv_state, weight, bias):
    """Shift conv_state [B, C, K] left, write x_t [B, C] at the end, return the conv output."""
    conv_state = torch.cat([conv_state[:, :, 1:], x_t[:, :, None]], dim=2)
    out = bias.clone().expand_as(x_t)
    w = weight[:, 0, :]
    K = w.shape[-1]
    for k in range(K):
        out = out + w[:, k] * conv_state[:, :, k]
    return out, conv_state


# ----------------------------------------------------------------------------- Mamba1


class SelectiveScan(torch.autograd.Function):
    """Mamba1 scan for training, one [B, E, N] time step at a time with a hand-written
    reverse-time backward (no [B, L, E, N] broadcast products in the autograd graph).

    dt, x [B, L, E]; A [E, N]; Bm, Cm [B, L, N] -> y [B, L, E] = sum_n C_t[n] h_t[:, n],
    h_t = exp(dt_t A) h_{t-1} + dt_t x_t B_t (without the D skip)."""

    @staticmethod
    def forward(ctx, dt, A, Bm, Cm, x):
        Bsz, L, E = dt.shape
        u = dt * x
        h = dt.new_zeros(Bsz, E, A.shape[1])
        hs, ys = [], []
        for t in range(L):
            h = torch.exp(dt[:, t, :, None] * A) * h + u[:, t, :, None] * Bm[:, t, None, :]
            hs.append(h)
            ys.append(torch.bmm(h, Cm[:, t, :, None])[..., 0])
        ctx.save_for_backward(dt, A, Bm, Cm, x, torch.stack(hs, dim=1))
        return torch.stack(ys, dim=1)

    @staticmethod
    def backward(ctx, dy):
        dt, A, Bm, Cm, x, hs = ctx.saved_tensors
        Bsz, L, E = dt.shape
        u = dt * x
        g = torch.zeros_like(hs[:, 0])  # dLoss/dh_t
        d_dt = torch.empty_like(dt)
        d_u = torch.empty_like(dt)
        d_B = torch.empty_like(Bm)
        d_C = torch.empty_like(Cm)
        d_A = torch.zeros_like(A)
        for t in range(L - 1, -1, -1):
            h_t = hs[:, t]
            dy_t = dy[:, t]
            g = g + dy_t[:, :, None] * Cm[:, t, None, :]
            d_C[:, t] = torch.bmm(h_t.transpose(1, 2), dy_t[:, :, None])[..., 0]
            d_u[:, t] = torch.bmm(g, Bm[:, t, :, None])[..., 0]
            d_B[:, t] = torch.bmm(g.transpose(1, 2), u[:, t, :, None])[..., 0]
            dA_t = torch.exp(dt[:, t, :, None] * A)
            if t > 0:
                gdA = g * hs[:, t - 1] * dA_t  # d/d(dt_t * A)
                d_dt[:, t] = (gdA * A).sum(-1)
                d_A += (gdA * dt[:, t, :, None]).sum(0)
            else:
                d_dt[:, t] = 0.0
            g = g * dA_t
        d_dt = d_dt + d_u * x
        d_x = d_u * dt
        return d_dt, d_A, d_B, d_C, d_x


class Mamba1Mixer(nn.Module):
    def __init__(self, cfg: Mamba1Config):
        super().__init__()
        self.cfg = cfg
        D, E, N, R, K = cfg.d_model, cfg.d_inner, cfg.d_state, cfg.dt_rank, cfg.d_conv
        self.in_proj = nn.Linear(D, 2 * E, bias=False)
        self.conv1d = nn.Conv1d(E, E, K, groups=E, padding=K - 1, bias=True)
        self.x_proj = nn.Linear(E, R + 2 * N, bias=False)
        self.dt_proj = nn.Linear(R, E, bias=True)
        with torch.no_grad():
            std = R ** -0.5
            nn.init.uniform_(self.dt_proj.weight, -std, std)
            self.dt_proj.bias.copy_(dt_bias_init(E, cfg))
        A = torch.arange(1, N + 1, dtype=torch.float32).repeat(E, 1)
        self.A_log = nn.Parameter(torch.log(A))
        self.A_log._no_weight_decay = True
        self.D = nn.Parameter(torch.ones(E))
        self.D._no_weight_decay = True
        self.out_proj = nn.Linear(E, D, bias=False)

    def _ssm_params(self, xc):
        """xc [..., E] (after conv+SiLU) -> dt [..., E], B [..., N], C [..., N]."""
        R, N = self.cfg.dt_rank, self.cfg.d_state
        dbc = F.linear(xc, self.x_proj.weight)
        dt_low, Bm, Cm = torch.split(dbc, [R, N, N], dim=-1)
        dt = softplus(F.linear(dt_low, self.dt_proj.weight) + self.dt_proj.bias)
        return dt, Bm, Cm

    def forward(self, u, exact=False):
        """u [B, L, D] -> out [B, L, D] (and the final state when exact)."""
        E, K = self.cfg.d_inner, self.cfg.d_conv
        xz = F.linear(u, self.in_proj.weight)
        xpre, z = xz[..., :E], xz[..., E:]
        if exact:
            xc = F.silu(causal_conv_exact(xpre, self.conv1d.weight, self.conv1d.bias))
        else:
            xc = F.silu(causal_conv_fast(xpre, self.conv1d))
        dt, Bm, Cm = self._ssm_params(xc)
        A = -torch.exp(self.A_log)  # [E, N]
        Bsz, L, _ = u.shape
        h = u.new_zeros(Bsz, E, self.cfg.d_state)
        if exact:
            ys = []
            for t in range(L):
                dA = torch.exp(dt[:, t, :, None] * A)  # [B, E, N]
                dBx = (dt[:, t, :, None] * Bm[:, t, None, :]) * xc[:, t, :, None]
                h = dA * h + dBx
                ys.append((h * Cm[:, t, None, :]).sum(-1))
            y = torch.stack(ys, dim=1)
        else:
            y = SelectiveScan.apply(dt, A, Bm, Cm, xc)
        y = y + self.D * xc
        y = y * F.silu(z)
        out = F.linear(y, self.out_proj.weight)
        if exact:
            return out, (conv_state_after(xpre, K), h)
        return out

    def empty_state(self, batch):
        E, N, K = self.cfg.d_inner, self.cfg.d_state, self.cfg.d_conv
        return (torch.zeros(batch, E, K), torch.zeros(batch, E, N))

    def step(self, u_t, state):
        """u_t [B, D] -> out [B, D], new state."""
        conv_state, h = state
        E = self.cfg.d_inner
        xz = F.linear(u_t, self.in_proj.weight)
        x_t, z_t = xz[:, :E], xz[:, E:]
        xc, conv_state = conv_step(x_t, conv_state, self.conv1d.weight, self.conv1d.bias)
        xc = F.silu(xc)
        dt, Bm, Cm = self._ssm_params(xc)
        A = -torch.exp(self.A_log)
        dA = torch.exp(dt[:, :, None] * A)
        dBx = (dt[:, :, None] * Bm[:, None, :]) * xc[:, :, None]
        h = dA * h + dBx
        y = (h * Cm[:, None, :]).sum(-1) + self.D * xc
        y = y * F.silu(z_t)
        return F.linear(y, self.out_proj.weight), (conv_state, h)


# ----------------------------------------------------------------------------- Mamba2


def segsum(a):
    """a [..., T] -> [..., T, T] with out[i, j] = sum_{j < k <= i} a[k] for j <= i, -inf above."""
    T = a.shape[-1]
    a = a[..., None].expand(*a.shape, T)  # a[..., i, j] = a[i]
    strict = torch.tril(torch.ones(T, T, dtype=torch.bool), -1)
    a = a.masked_fill(~strict, 0.0)
    s = torch.cumsum(a, dim=-2)
    lower = torch.tril(torch.ones(T, T, dtype=torch.bool), 0)
    return s.masked_fill(~lower, -math.inf)


def ssd_chunked(x, dt, A, Bm, Cm, chunk):
    """Chunked SSD scan from zero state.

    x [b, l, h, p], dt [b, l, h] (after softplus), A [h], Bm/Cm [b, l, h, n] (per head).
    Returns y [b, l, h, p] (without the D skip) and the final state [b, h, p, n]."""
    b, l, h, p = x.shape
    pad = (-l) % chunk
    if pad:
        # Zero dt on the padding: no decay, no input, so the final state is unchanged.
        x = F.pad(x, (0, 0, 0, 0, 0, pad))
        dt = F.pad(dt, (0, 0, 0, pad))
        Bm = F.pad(Bm, (0, 0, 0, 0, 0, pad))
        Cm = F.pad(Cm, (0, 0, 0, 0, 0, pad))
    c = (l + pad) // chunk
    X = (x * dt[..., None]).reshape(b, c, chunk, h, p)
    a = (dt * A).reshape(b, c, chunk, h).permute(0, 3, 1, 2)  # [b, h, c, q]
    Bc = Bm.reshape(b, c, chunk, h, -1)
    Cc = Cm.reshape(b, c, chunk, h, -1)
    a_cum = torch.cumsum(a, dim=-1)
    Lmat = torch.exp(segsum(a))  # [b, h, c, q, q]
    y_diag = torch.einsum("bclhn,bcshn,bhcls,bcshp->bclhp", Cc, Bc, Lmat, X)
    decay_states = torch.exp(a_cum[..., -1:] - a_cum)  # [b, h, c, q]
    states = torch.einsum("bclhn,bhcl,bclhp->bchpn", Bc, decay_states, X)
    states = torch.cat([torch.zeros_like(states[:, :1]), states], dim=1)
    decay_chunk = torch.exp(segsum(F.pad(a_cum[..., -1], (1, 0))))  # [b, h, c+1, c+1]
    new_states = torch.einsum("bhzc,bchpn->bzhpn", decay_chunk, states)
    states, final = new_states[:, :-1], new_states[:, -1]
    y_off = torch.einsum("bclhn,bchpn,bhcl->bclhp", Cc, states, torch.exp(a_cum))
    y = (y_diag + y_off).reshape(b, c * chunk, h, p)[:, :l]
    return y, final


class Mamba2Mixer(nn.Module):
    def __init__(self, cfg: Mamba2Config):
        super().__init__()
        self.cfg = cfg
        D, E, N, G, H, K = (cfg.d_model, cfg.d_inner, cfg.d_state, cfg.ngroups, cfg.nheads,
                            cfg.d_conv)
        assert E % cfg.headdim == 0 and H % G == 0 and E % G == 0
        self.in_proj = nn.Linear(D, 2 * E + 2 * G * N + H, bias=False)
        C = cfg.conv_dim
        self.conv1d = nn.Conv1d(C, C, K, groups=C, padding=K - 1, bias=True)
        self.dt_bias = nn.Parameter(dt_bias_init(H, cfg))
        self.dt_bias._no_weight_decay = True
        A = torch.empty(H).uniform_(*cfg.A_init_range)
        self.A_log = nn.Parameter(torch.log(A))
        self.A_log._no_weight_decay = True
        self.D = nn.Parameter(torch.ones(H))
        self.D._no_weight_decay = True
        self.norm_weight = nn.Parameter(torch.ones(E))
        self.out_proj = nn.Linear(E, D, bias=False)

    def _split_in(self, zxbcdt):
        E, H = self.cfg.d_inner, self.cfg.nheads
        C = self.cfg.conv_dim
        return torch.split(zxbcdt, [E, C, H], dim=-1)  # z, xBC, dt

    def _split_xbc(self, xbc):
        E, G, N = self.cfg.d_inner, self.cfg.ngroups, self.cfg.d_state
        return torch.split(xbc, [E, G * N, G * N], dim=-1)

    def _heads(self, m):
        """[..., G*N] -> [..., H, N]: head h reads group h // (H/G)."""
        G, N, H = self.cfg.ngroups, self.cfg.d_state, self.cfg.nheads
        m = m.reshape(*m.shape[:-1], G, N)
        return torch.repeat_interleave(m, H // G, dim=-2)

    def _gated_norm(self, y, z):
        """v = y * silu(z), RMS-normalised per group of E/G channels, times norm.weight."""
        G, E = self.cfg.ngroups, self.cfg.d_inner
        v = y * F.silu(z)
        vg = v.reshape(*v.shape[:-1], G, E // G)
        vg = vg * torch.rsqrt(vg.pow(2).mean(-1, keepdim=True) + NORM_EPS)
        return vg.reshape(v.shape) * self.norm_weight

    def forward(self, u, exact=False):
        cfg = self.cfg
        E, H, P, N, K = cfg.d_inner, cfg.nheads, cfg.headdim, cfg.d_state, cfg.d_conv
        Bsz, L, _ = u.shape
        z, xbc_pre, dt_raw = self._split_in(F.linear(u, self.in_proj.weight))
        if exact:
            xbc = F.silu(causal_conv_exact(xbc_pre, self.conv1d.weight, self.conv1d.bias))
        else:
            xbc = F.silu(causal_conv_fast(xbc_pre, self.conv1d))
        x, Bm, Cm = self._split_xbc(xbc)
        x = x.reshape(Bsz, L, H, P)
        Bh, Ch = self._heads(Bm), self._heads(Cm)  # [B, L, H, N]
        dt = softplus(dt_raw + self.dt_bias)  # [B, L, H]
        A = -torch.exp(self.A_log)  # [H]
        if exact:
            S = u.new_zeros(Bsz, H, P, N)
            ys = []
            for t in range(L):
                dA = torch.exp(dt[:, t] * A)  # [B, H]
                dBx = (dt[:, t, :, None] * x[:, t])[..., None] * Bh[:, t, :, None, :]
                S = dA[:, :, None, None] * S + dBx
                ys.append((S * Ch[:, t, :, None, :]).sum(-1))
            y = torch.stack(ys, dim=1)
        else:
            y, S = ssd_chunked(x, dt, A, Bh, Ch, cfg.chunk_size)
        y = y + self.D[:, None] * x
        out = F.linear(self._gated_norm(y.reshape(Bsz, L, E), z), self.out_proj.weight)
        if exact:
            return out, (conv_state_after(xbc_pre, K), S)
        return out

    def empty_state(self, batch):
        cfg = self.cfg
        return (torch.zeros(batch, cfg.conv_dim, cfg.d_conv),
                torch.zeros(batch, cfg.nheads, cfg.headdim, cfg.d_state))

    def step(self, u_t, state):
        cfg = self.cfg
        H, P = cfg.nheads, cfg.headdim
        conv_state, S = state
        z, xbc_pre, dt_raw = self._split_in(F.linear(u_t, self.in_proj.weight))
        xbc, conv_state = conv_step(xbc_pre, conv_state, self.conv1d.weight, self.conv1d.bias)
        x, Bm, Cm = self._split_xbc(F.silu(xbc))
        x = x.reshape(-1, H, P)
        Bh, Ch = self._heads(Bm), self._heads(Cm)  # [B, H, N]
        dt = softplus(dt_raw + self.dt_bias)
        A = -torch.exp(self.A_log)
        dA = torch.exp(dt * A)
        dBx = (dt[:, :, None] * x)[..., None] * Bh[:, :, None, :]
        S = dA[:, :, None, None] * S + dBx
        y = (S * Ch[:, :, None, :]).sum(-1) + self.D[:, None] * x
        out = F.linear(self._gated_norm(y.reshape(-1, cfg.d_inner), z), self.out_proj.weight)
        return out, (conv_state, S)


# ----------------------------------------------------------------------------- language model


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm_weight = nn.Parameter(torch.ones(cfg.d_model))
        self.mixer = Mamba1Mixer(cfg) if cfg.arch == "mamba1" else Mamba2Mixer(cfg)


class MambaLM(nn.Module):
    """Embedding, n_layer pre-norm residual blocks (fp32 residual), norm_f, lm_head."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        V, D = cfg.padded_vocab, cfg.d_model
        self.embedding = nn.Parameter(torch.empty(V, D))
        self.layers = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.norm_f_weight = nn.Parameter(torch.ones(D))
        self.lm_head = None if cfg.tie_embeddings else nn.Parameter(torch.empty(V, D))
        self._init_weights()

    def _init_weights(self):
        """mamba_ssm _init_weights: embedding N(0, 0.02), out_proj rescaled by 1/sqrt(n_layer)."""
        with torch.no_grad():
            nn.init.normal_(self.embedding, std=0.02)
            if self.lm_head is not None:
                nn.init.normal_(self.lm_head, std=0.02)
            for layer in self.layers:
                w = layer.mixer.out_proj.weight
                nn.init.kaiming_uniform_(w, a=math.sqrt(5))
                w /= math.sqrt(self.cfg.n_layer)

    def head_weight(self):
        return self.embedding if self.lm_head is None else self.lm_head

    def forward(self, tokens, exact=False):
        """tokens [B, L] -> logits [B, L, V] (and per-layer final states when exact)."""
        h = F.embedding(tokens, self.embedding)
        res = None
        states = []
        for layer in self.layers:
            res = h if res is None else h + res
            u = rms_norm(res, layer.norm_weight)
            if exact:
                h, st = layer.mixer(u, exact=True)
                states.append(st)
            else:
                h = layer.mixer(u)
        res = h + res
        logits = F.linear(rms_norm(res, self.norm_f_weight), self.head_weight())
        if exact:
            return logits, states
        return logits

    def empty_state(self, batch):
        return [layer.mixer.empty_state(batch) for layer in self.layers]

    def step(self, token, states):
        """token [B] -> logits [B, V], new per-layer states."""
        h = F.embedding(token, self.embedding)
        res = None
        new = []
        for layer, st in zip(self.layers, states):
            res = h if res is None else h + res
            h, st = layer.mixer.step(rms_norm(res, layer.norm_weight), st)
            new.append(st)
        res = h + res
        return F.linear(rms_norm(res, self.norm_f_weight), self.head_weight()), new


# ----------------------------------------------------------------------------- official layouts


def official_state_dict(model):
    """Tensor names of the official checkpoints: state-spaces (Mamba1) or Hugging Face (Mamba2).

    Mamba1/state-spaces: backbone.embedding.weight; lm_head.weight is the same tensor (tied).
    Mamba2/Hugging Face: backbone.embeddings.weight; lm_head.weight separate when untied."""
    cfg = model.cfg
    emb = "backbone.embedding.weight" if cfg.arch == "mamba1" else "backbone.embeddings.weight"
    sd = {emb: model.embedding.detach()}
    for i, layer in enumerate(model.layers):
        p = f"backbone.layers.{i}."
        m = layer.mixer
        sd[p + "norm.weight"] = layer.norm_weight.detach()
        sd[p + "mixer.in_proj.weight"] = m.in_proj.weight.detach()
        sd[p + "mixer.conv1d.weight"] = m.conv1d.weight.detach()
        sd[p + "mixer.conv1d.bias"] = m.conv1d.bias.detach()
        if cfg.arch == "mamba1":
            sd[p + "mixer.x_proj.weight"] = m.x_proj.weight.detach()
            sd[p + "mixer.dt_proj.weight"] = m.dt_proj.weight.detach()
            sd[p + "mixer.dt_proj.bias"] = m.dt_proj.bias.detach()
            sd[p + "mixer.A_log"] = m.A_log.detach()
            sd[p + "mixer.D"] = m.D.detach()
        else:
            sd[p + "mixer.dt_bias"] = m.dt_bias.detach()
            sd[p + "mixer.A_log"] = m.A_log.detach()
            sd[p + "mixer.D"] = m.D.detach()
            sd[p + "mixer.norm.weight"] = m.norm_weight.detach()
        sd[p + "mixer.out_proj.weight"] = m.out_proj.weight.detach()
    sd["backbone.norm_f.weight"] = model.norm_f_weight.detach()
    sd["lm_head.weight"] = model.head_weight().detach()
    return sd


def load_official_state_dict(model, sd):
    """Inverse of official_state_dict: copy official-named tensors into model (shapes checked)."""
    own = official_state_dict(model)
    missing = sorted(set(own) - set(sd))
    extra = sorted(set(sd) - set(own))
    if missing or extra:
        raise KeyError(f"tensor names differ: missing {missing}, unexpected {extra}")
    with torch.no_grad():
        for name, dst in own.items():
            src = sd[name]
            if tuple(src.shape) != tuple(dst.shape):
                raise ValueError(f"{name}: shape {tuple(src.shape)}, want {tuple(dst.shape)}")
            if name == "lm_head.weight" and model.lm_head is None:
                emb = "backbone.embedding.weight" if model.cfg.arch == "mamba1" \
                    else "backbone.embeddings.weight"
                if not torch.equal(src, sd[emb]):
                    raise ValueError("tied model: lm_head.weight differs from the embedding")
                continue
            dst.copy_(src)


# ----------------------------------------------------------------------------- safetensors

_ST_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int32: "I32",
              torch.int64: "I64", torch.float16: "F16", torch.bfloat16: "BF16"}
_ST_TORCH = {v: k for k, v in _ST_DTYPES.items()}


def write_safetensors(path, tensors, metadata=None):
    """Write tensors (an ordered dict name -> tensor) in the safetensors format.

    8-byte little-endian header length, a JSON header (dtype, shape, data_offsets relative
    to the data start), the header padded with spaces to a multiple of 8, then the tensors
    packed in the given order with no holes."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = t.numpy().tobytes()  # native order; this machine is little-endian
        header[name] = {"dtype": _ST_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode()
    hjson += b" " * ((-len(hjson)) % 8)
    tmp = str(path) + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for raw in blobs:
            f.write(raw)
    os.replace(tmp, path)


def read_safetensors(path):
    """Read a safetensors file into an ordered dict name -> tensor (copies)."""
    import numpy as np
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    header.pop("__metadata__", None)
    base = 8 + n
    out = {}
    np_types = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64,
                "F16": np.float16}
    for name, info in header.items():
        a, b = info["data_offsets"]
        arr = np.frombuffer(data[base + a : base + b], dtype=np_types[info["dtype"]])
        out[name] = torch.from_numpy(arr.copy()).reshape(info["shape"])
    return out


# ----------------------------------------------------------------------------- self-check


def _self_check():
    torch.manual_seed(0)
    cases = [
        Mamba1Config(d_model=32, n_layer=2, d_state=8),
        Mamba2Config(d_model=48, n_layer=2, d_state=16, headdim=16, ngroups=2, chunk_size=16),
    ]
    for cfg in cases:
        model = MambaLM(cfg)
        with torch.no_grad():
            # Move away from the near-identity init so every term matters.
            for p in model.parameters():
                p.add_(0.1 * torch.randn_like(p))
            for layer in model.layers:
                layer.mixer.A_log.copy_(torch.log(torch.rand_like(layer.mixer.A_log) * 8 + 0.5))
            tokens = torch.randint(0, cfg.vocab_size, (3, 37))
            fast = model(tokens)
            exact, states = model(tokens, exact=True)
            # prefill 20 tokens, then step the rest
            split = 20
            pre, st = model(tokens[:, :split], exact=True)
            steps = [pre]
            for t in range(split, tokens.shape[1]):
                lg, st = model.step(tokens[:, t], st)
                steps.append(lg[:, None])
            stepped = torch.cat(steps, dim=1)
            d1 = (fast - exact).abs().max().item()
            d2 = (stepped - exact).abs().max().item()
            ds = max(max((a - b).abs().max().item() for a, b in zip(sa, sb))
                     for sa, sb in zip(states, st))
            scale = exact.abs().max().item()
            print(f"{cfg.arch}: |logits| max {scale:.3f}  train-vs-seq {d1:.2e}  "
                  f"steps-vs-seq {d2:.2e}  state {ds:.2e}")
            assert d1 < 1e-5 and d2 < 1e-5 and ds < 1e-5, cfg.arch
        # the training path's gradients (hand-written scan backward for Mamba1, SSD for
        # Mamba2) against autograd through the exact sequential path
        grads = []
        for exact in (False, True):
            model.zero_grad()
            out = model(tokens, exact=exact)
            lg = out[0] if exact else out
            torch.nn.functional.cross_entropy(lg.reshape(-1, lg.shape[-1]),
                                              tokens.roll(-1, 1).reshape(-1)).backward()
            grads.append([p.grad.clone() for p in model.parameters()])
        dg = max(((a - b).abs().max() / (b.abs().max() + 1e-12)).item()
                 for a, b in zip(*grads))
        print(f"{cfg.arch}: gradients train-vs-seq, max relative {dg:.2e}")
        assert dg < 1e-4, cfg.arch
        with torch.no_grad():
            # safetensors round trip
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "m.safetensors")
                sd = official_state_dict(model)
                write_safetensors(path, sd, {"format": "pt"})
                back = read_safetensors(path)
                assert list(back) == list(sd)
                assert all(torch.equal(back[k], sd[k]) for k in sd)
    # the Mamba1 scan backward against finite differences, in float64
    Bsz, L, E, N = 2, 7, 3, 4
    args = ((torch.rand(Bsz, L, E, dtype=torch.float64) * 0.5 + 0.05).requires_grad_(),
            (-torch.rand(E, N, dtype=torch.float64) * 3).requires_grad_(),
            torch.randn(Bsz, L, N, dtype=torch.float64, requires_grad=True),
            torch.randn(Bsz, L, N, dtype=torch.float64, requires_grad=True),
            torch.randn(Bsz, L, E, dtype=torch.float64, requires_grad=True))
    assert torch.autograd.gradcheck(SelectiveScan.apply, args)
    print("self-check ok")


if __name__ == "__main__":
    _self_check()
