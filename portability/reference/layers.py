"""References for layers with weights: conv with bias, recurrent layers, multi-head attention.

All in float64 and in PyTorch's conventions (the catalog's canonical checkpoint layout): batch-first
sequences (N, L, features), (out, in) projection weights, torch gate orders (LSTM i, f, g, o;
GRU r, z, n) with torch's two biases (input-side and hidden-side). Initial states are zero.
"""

from __future__ import annotations

import numpy as np

from portability.reference.nn import conv_transpose

__all__ = ["conv_transpose_bias", "lstm", "gru", "gru_last_state", "multi_head_attention"]


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # exact identity, no overflow warning for large |x|


def conv_transpose_bias(x, weight, bias, stride=1, padding=0, output_padding=0, dilation=1):
    """torch.nn.ConvTranspose2d with bias: conv_transpose (weight (in, out, kH, kW)) plus a per-channel bias."""
    y = conv_transpose(x, weight, stride, padding, output_padding, dilation)
    return y + bias.reshape(1, -1, *([1] * (x.ndim - 2)))


def lstm(x, weight_ih, weight_hh, bias_ih, bias_hh):
    """torch.nn.LSTM(batch_first=True), one layer, one direction, zero initial state -> output (N, L, H).

    Gates in torch's row-block order (i, f, g, o):  i, f, o = sigmoid(.), g = tanh(.),
    c' = f * c + i * g,  h' = o * tanh(c')."""
    N, L, _ = x.shape
    H = weight_hh.shape[1]
    h, c = np.zeros((N, H)), np.zeros((N, H))
    out = np.empty((N, L, H))
    for t in range(L):
        gates = x[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh
        i, f, g, o = np.split(gates, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        out[:, t] = h
    return out


def gru(x, weight_ih, weight_hh, bias_ih, bias_hh):
    """torch.nn.GRU(batch_first=True), one layer, one direction, zero initial state -> output (N, L, H).

    Gates in torch's row-block order (r, z, n); the reset gate multiplies the hidden projection *after*
    the hidden-side matmul and bias (Keras reset_after=True, ONNX linear_before_reset=1):
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h."""
    N, L, _ = x.shape
    H = weight_hh.shape[1]
    h = np.zeros((N, H))
    out = np.empty((N, L, H))
    for t in range(L):
        xi = x[:, t] @ weight_ih.T + bias_ih
        hh = h @ weight_hh.T + bias_hh
        xr, xz, xn = np.split(xi, 3, axis=1)
        hr, hz, hn = np.split(hh, 3, axis=1)
        r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
        n = np.tanh(xn + r * hn)
        h = (1.0 - z) * n + z * h
        out[:, t] = h
    return out


def gru_last_state(x, weight_ih, weight_hh, bias_ih, bias_hh):
    """The final hidden state of `gru`, shaped like torch's h_n: (num_layers * directions = 1, N, H)."""
    return gru(x, weight_ih, weight_hh, bias_ih, bias_hh)[:, -1][None]


def multi_head_attention(query, key, value, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads):
    """torch.nn.MultiheadAttention(batch_first=True) without masks or dropout -> attention output (N, Lq, E).

    in_proj_weight packs the q, k, v projections as row blocks [W_q; W_k; W_v] of shape (3E, E); each head
    takes a contiguous slice of E / num_heads features; scores are scaled by 1 / sqrt(head_dim)."""
    E = query.shape[-1]
    hd = E // num_heads
    wq, wk, wv = np.split(in_proj_weight, 3, axis=0)
    bq, bk, bv = np.split(in_proj_bias, 3)

    def heads(t):  # (N, L, E) -> (N, heads, L, hd)
        return t.reshape(t.shape[0], t.shape[1], num_heads, hd).transpose(0, 2, 1, 3)

    q, k, v = heads(query @ wq.T + bq), heads(key @ wk.T + bk), heads(value @ wv.T + bv)
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd)
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    attn = scores / scores.sum(axis=-1, keepdims=True)
    ctx = (attn @ v).transpose(0, 2, 1, 3).reshape(query.shape[0], query.shape[1], E)
    return ctx @ out_proj_weight.T + out_proj_bias
