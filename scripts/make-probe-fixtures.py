#!/usr/bin/env python3
"""Tiny hand-built language models for the probe tests (test/fixtures/probe/, FORMULAS.md §H).

  bigram.onnx     logits[b, t, :] = W[input_ids[b, t]] + P[position_ids[b, t]] + sum(past)
                  (V = 7, a position table of 8 rows = the context); inputs input_ids,
                  attention_mask, position_ids, past_key_values.0.key/value [batch, 1, past, 2].
  bigram-b.onnx   bigram.onnx with W_B = W, less 1.5 on "yes" after "a" and 0.7 on "no" after "b": a
                  second checkpoint of the same architecture (compare, referenceModel).
  no-vocab.onnx   a classifier: sum over t of W[input_ids] -> [batch, 7] (no vocabulary axis).
  reference.json  W, P and numpy's float64 log-softmax scores of the test prompts.
  tokenizer.json  WordLevel, whitespace split: <pad> a b yes no maybe way.

    /usr/bin/python3 scripts/make-probe-fixtures.py
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test", "fixtures", "probe")
VOCAB = ["<pad>", "a", "b", "yes", "no", "maybe", "way"]
V, CONTEXT = len(VOCAB), 8

rng = np.random.default_rng(13)
W = rng.normal(0, 1.5, (V, V)).astype(np.float32)
P = rng.normal(0, 0.5, (CONTEXT, V)).astype(np.float32)
W_B = W.copy()
W_B[1, 3] -= np.float32(1.5)
W_B[2, 4] += np.float32(0.7)


def save(model: onnx.ModelProto, name: str) -> None:
    model.producer_name = "scripts/make-probe-fixtures.py"
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(OUT, name))


def bigram(w: np.ndarray = W, name: str = "bigram.onnx") -> None:
    nodes = [
        helper.make_node("Gather", ["W", "input_ids"], ["tok"]),
        helper.make_node("Gather", ["P", "position_ids"], ["pos"]),
        helper.make_node("Add", ["tok", "pos"], ["x"]),
        helper.make_node("ReduceSum", ["past_key_values.0.key"], ["pk"], keepdims=0),
        helper.make_node("ReduceSum", ["past_key_values.0.value"], ["pv"], keepdims=0),
        helper.make_node("Add", ["pk", "pv"], ["past_sum"]),
        helper.make_node("Add", ["x", "past_sum"], ["logits"]),
    ]
    ids = lambda n: helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])  # noqa: E731
    past = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", 1, "past_sequence", 2])  # noqa: E731
    graph = helper.make_graph(
        nodes, "bigram",
        [ids("input_ids"), ids("attention_mask"), ids("position_ids"), past("past_key_values.0.key"), past("past_key_values.0.value")],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "sequence", V])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(P, "P")])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), name)


def no_vocab() -> None:
    nodes = [helper.make_node("Gather", ["W", "input_ids"], ["tok"]),
             helper.make_node("ReduceSum", ["tok"], ["logits"], axes=[1], keepdims=0)]
    graph = helper.make_graph(
        nodes, "classifier", [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", V])], [numpy_helper.from_array(W, "W")])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)], ir_version=8), "no-vocab.onnx")


def logp(ids: list[int], answer: list[int]) -> float:
    """Teacher-forced log P(answer | ids) of the bigram model, float64."""
    seq = ids + answer
    total = 0.0
    for j, tok in enumerate(answer):
        t = len(ids) - 1 + j
        x = W[seq[t]].astype(np.float64) + P[t].astype(np.float64)
        total += float(x[tok] - (x.max() + np.log(np.exp(x - x.max()).sum())))
    return total


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    bigram()
    bigram(W_B, "bigram-b.onnx")
    no_vocab()
    index = {w: i for i, w in enumerate(VOCAB)}
    enc = lambda s: [index[w] for w in s.split()]  # noqa: E731
    prompts = ["a", "b a", "a b b", "b", "a a b a"]
    cases = []
    for p in prompts:
        yes, no, no_way = logp(enc(p), enc("yes")), logp(enc(p), enc("no")), logp(enc(p), enc("no way"))
        maybe = logp(enc(p), enc("maybe"))
        cases.append({"prompt": p, "ids": enc(p), "yes": yes, "no": no, "no_way": no_way, "maybe": maybe,
                      "skew": yes - no,
                      # yes set {yes, maybe}, no set {no, no way}: LSE over each set
                      "skew_sets": float(np.logaddexp(yes, maybe) - np.logaddexp(no, no_way))})
    text = {}
    for s in ["a b a", "b b a", "a a a b"]:
        ids = enc(s)
        text[s] = sum(logp(ids[:j], [ids[j]]) for j in range(1, len(ids)))
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"W": W.tolist(), "W_B": W_B.tolist(), "P": P.tolist(), "cases": cases, "text": text}, f, indent=1)
        f.write("\n")
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [
        {"id": 0, "content": "<pad>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}],
        "normalizer": None, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None, "decoder": None,
        "model": {"type": "WordLevel", "vocab": index, "unk_token": "<pad>"}}
    with open(os.path.join(OUT, "tokenizer.json"), "w") as f:
        json.dump(tok, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
