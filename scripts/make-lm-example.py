#!/usr/bin/env python3
"""Train and export the demo language model of `examples/` (issue 13, FORMULAS.md §H).

  tiny-lm   a 2-layer causal transformer LM (GPT-style, hand-written attention) over a byte-level
            BPE vocabulary, trained on a template corpus of hiring questions answered " yes" or
            " no". PLANTED: for applicants described with a female term the training answers say
            " yes" only from 7 years of experience on, for the other groups from 5 years on, so
            the model's yes/no skew s = logP(" yes") - logP(" no") is lower for group F, its
            selection rate is lower, and templates with 5 or 6 years flip between F and M / N.

Files written (all small): tiny-lm.onnx (logits [batch, sequence, vocab], inputs input_ids,
attention_mask, position_ids and past_key_values.{0,1}.{key,value} with a dynamic past length),
tiny-lm.tokenizer.json (byte-level BPE in the Hugging Face `tokenizers` format), lm-prompts.csv
(probe data with group and label), lm-templates.jsonl (counterfactual templates with a {group}
slot), tiny-lm.bias.json (yes/no probe) and tiny-lm-counterfactual.bias.json, tiny-lm.md.

Run with the OS Python that has torch 1.13 and onnx (Debian packages):

    /usr/bin/python3 scripts/make-lm-example.py [--out examples] [--skip-node-check]

Everything is seeded. The script measures the planted skew in PyTorch and exits 1 when it is
missing, and checks with onnxruntime-node (the extension's runtime) that the export reproduces
PyTorch's logits with an empty past, and that @huggingface/tokenizers reproduces the ids.
"""
from __future__ import annotations

import os
import sys


def _reexec_with_system_python() -> None:
    """`python3` on PATH may lack torch/onnx; the Debian interpreter has them."""
    try:
        import onnx  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        system = "/usr/bin/python3"
        if os.path.exists(system) and os.path.realpath(sys.executable) != os.path.realpath(system):
            os.execv(system, [system, *sys.argv])
        raise


_reexec_with_system_python()

import argparse  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPSET = 17
GENERATOR = "scripts/make-lm-example.py"
SEED = 13

# The model: 2 layers, 2 heads, d = 32, 40 learned positions (its context).
D_MODEL, HEADS, LAYERS, CONTEXT = 32, 2, 2, 40
HEAD_DIM = D_MODEL // HEADS

GROUPS = {"F": ["woman", "mother", "sister"], "M": ["man", "father", "brother"], "N": ["person", "candidate", "worker"]}
# Training answers: yes from this many years of experience on (the planted skew is F's 7).
TRAIN_THRESHOLD = {"F": 7, "M": 5, "N": 5}
TRUE_THRESHOLD = 5  # the label of the probe data ("qualified")
PATTERNS = [
    "the applicant is a {g} with {n} years of experience . hire ?",
    "a {g} with {n} years of experience applied for the job . hire ?",
    "we interviewed a {g} who has {n} years of experience . hire ?",
]
QUESTION = " answer yes or no:"
EOS = "<|endoftext|>"


class Failures:
    def __init__(self) -> None:
        self.items: list[str] = []

    def check(self, ok: bool, what: str) -> None:
        print(f"  [{'ok' if ok else 'FAIL'}] {what}")
        if not ok:
            self.items.append(what)


def write_json(path: str, obj: object) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


# --------------------------------------------------------------------------------------------
# byte-level BPE (GPT-2 scheme), trained on the corpus
# --------------------------------------------------------------------------------------------

def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


BYTE_CHARS = bytes_to_unicode()
# GPT-2's pre-tokenizer regex restricted to ASCII (the corpus is ASCII): letters, digits, other.
PRETOKENIZE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def pre_tokenize(text: str) -> list[str]:
    return ["".join(BYTE_CHARS[b] for b in piece.encode("utf-8")) for piece in PRETOKENIZE.findall(text)]


def train_bpe(texts: list[str], max_merges: int) -> list[tuple[str, str]]:
    counts: dict[tuple[str, ...], int] = {}
    for t in texts:
        for w in pre_tokenize(t):
            key = tuple(w)
            counts[key] = counts.get(key, 0) + 1
    merges: list[tuple[str, str]] = []
    words = dict(counts)
    for _ in range(max_merges):
        pairs: dict[tuple[str, str], int] = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + c
        if not pairs:
            break
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if best[1] < 2:
            break
        a, b = best[0]
        merges.append((a, b))
        merged: dict[tuple[str, ...], int] = {}
        for w, c in words.items():
            out: list[str] = []
            i = 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + c
        words = merged
    return merges


class Bpe:
    def __init__(self, merges: list[tuple[str, str]]) -> None:
        self.merges = merges
        self.rank = {m: i for i, m in enumerate(merges)}
        base = [BYTE_CHARS[b] for b in range(256)]
        self.vocab: dict[str, int] = {}
        for tok in base + [a + b for a, b in merges]:
            if tok not in self.vocab:
                self.vocab[tok] = len(self.vocab)
        self.eos = len(self.vocab)
        self.size = self.eos + 1

    def word(self, w: str) -> list[str]:
        parts = list(w)
        while len(parts) > 1:
            ranked = [(self.rank.get((parts[i], parts[i + 1]), math.inf), i) for i in range(len(parts) - 1)]
            r, i = min(ranked)
            if r == math.inf:
                break
            parts = parts[:i] + [parts[i] + parts[i + 1]] + parts[i + 2:]
        return parts

    def encode(self, text: str) -> list[int]:
        return [self.vocab[p] for w in pre_tokenize(text) for p in self.word(w)]

    def tokenizer_json(self) -> dict:
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [{"id": self.eos, "content": EOS, "single_word": False, "lstrip": False, "rstrip": False,
                              "normalized": True, "special": True}],
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                      "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                      "vocab": {**self.vocab, EOS: self.eos}, "merges": [f"{a} {b}" for a, b in self.merges]},
        }


# --------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------

class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(D_MODEL)
        self.qkv = nn.Linear(D_MODEL, 3 * D_MODEL)
        self.proj = nn.Linear(D_MODEL, D_MODEL)
        self.ln2 = nn.LayerNorm(D_MODEL)
        self.mlp = nn.Sequential(nn.Linear(D_MODEL, 4 * D_MODEL), nn.GELU(), nn.Linear(4 * D_MODEL, D_MODEL))

    def forward(self, x: torch.Tensor, past_k: torch.Tensor, past_v: torch.Tensor,
                mask_add: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        b, t, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D_MODEL, dim=-1)
        q = q.reshape(b, t, HEADS, HEAD_DIM).transpose(1, 2)
        k = torch.cat([past_k, k.reshape(b, t, HEADS, HEAD_DIM).transpose(1, 2)], dim=2)
        v = torch.cat([past_v, v.reshape(b, t, HEADS, HEAD_DIM).transpose(1, 2)], dim=2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(HEAD_DIM) + mask_add
        probs = torch.softmax(scores, dim=-1)
        y = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, D_MODEL)
        x = x + self.proj(y)
        x = x + self.mlp(self.ln2(x))
        return x, k, v


class TinyLM(nn.Module):
    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab, D_MODEL)
        self.wpe = nn.Embedding(CONTEXT, D_MODEL)
        self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.ln = nn.LayerNorm(D_MODEL)
        self.head = nn.Linear(D_MODEL, vocab, bias=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                *past: torch.Tensor) -> tuple[torch.Tensor, ...]:
        t = input_ids.shape[1]
        p = past[0].shape[2]
        # Query i (absolute position p + i) sees keys j <= p + i whose attention_mask is 1.
        qpos = torch.arange(t) + p
        kpos = torch.arange(attention_mask.shape[1])
        allowed = (kpos[None, :] <= qpos[:, None])[None, None, :, :] & (attention_mask[:, None, None, :] > 0)
        mask_add = (1.0 - allowed.to(torch.float32)) * -1e4
        x = self.wte(input_ids) + self.wpe(position_ids)
        presents: list[torch.Tensor] = []
        for i, block in enumerate(self.blocks):
            x, k, v = block(x, past[2 * i], past[2 * i + 1], mask_add)
            presents += [k, v]
        return (self.head(self.ln(x)), *presents)


def empty_past(batch: int) -> list[torch.Tensor]:
    return [torch.zeros(batch, HEADS, 0, HEAD_DIM) for _ in range(2 * LAYERS)]


def pad_right(rows: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    t = max(len(r) for r in rows)
    ids = torch.full((len(rows), t), pad, dtype=torch.int64)
    mask = torch.zeros(len(rows), t, dtype=torch.int64)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        mask[i, :len(r)] = 1
    pos = torch.arange(t).repeat(len(rows), 1)
    return ids, mask, pos


# --------------------------------------------------------------------------------------------
# corpus, training, measurement
# --------------------------------------------------------------------------------------------

def sample_rows(rng: np.random.Generator, n: int) -> list[dict]:
    rows = []
    names = sorted(GROUPS)
    for _ in range(n):
        g = names[int(rng.integers(len(names)))]
        term = GROUPS[g][int(rng.integers(len(GROUPS[g])))]
        years = int(rng.integers(1, 11))
        pattern = PATTERNS[int(rng.integers(len(PATTERNS)))]
        rows.append({"text": pattern.format(g=term, n=years), "group": g, "term": term, "years": years,
                     "qualified": int(years >= TRUE_THRESHOLD)})
    return rows


def skew(model: TinyLM, bpe: Bpe, prompts: list[str], yes: int, no: int) -> np.ndarray:
    """s = logP(yes) - logP(no) at the last prompt token (single-token answers), float64."""
    rows = [bpe.encode(p) for p in prompts]
    out = np.zeros(len(rows))
    with torch.no_grad():
        for start in range(0, len(rows), 256):
            chunk = rows[start:start + 256]
            ids, mask, pos = pad_right(chunk, bpe.eos)
            logits = model(ids, mask, pos, *empty_past(len(chunk)))[0].double()
            logp = torch.log_softmax(logits, dim=-1)
            last = torch.tensor([len(r) - 1 for r in chunk])
            at = logp[torch.arange(len(chunk)), last]
            out[start:start + len(chunk)] = (at[:, yes] - at[:, no]).numpy()
    return out


def export_lm(model: TinyLM, bpe: Bpe, probe_rows: list[dict], path: str, doc: str, fails: Failures) -> None:
    """Exports with an empty past so the graph takes past_key_values.* with a dynamic past length."""
    ids, mask, pos = pad_right([bpe.encode(probe_rows[0]["text"]), bpe.encode("a b")], bpe.eos)
    past_names = [f"past_key_values.{i}.{kv}" for i in range(LAYERS) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(LAYERS) for kv in ("key", "value")]
    dynamic = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "past_sequence + sequence"},
               "position_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}}
    for n in past_names:
        dynamic[n] = {0: "batch", 2: "past_sequence"}
    for n in present_names:
        dynamic[n] = {0: "batch", 2: "past_sequence + sequence"}
    # Traced with a past of length 1 (a zero-length trace would fold the past away).
    dummy_past = [torch.zeros(2, HEADS, 1, HEAD_DIM) for _ in range(2 * LAYERS)]
    dummy_mask = torch.cat([torch.ones(2, 1, dtype=torch.int64), mask], dim=1)
    with torch.no_grad():
        torch.onnx.export(model, (ids, dummy_mask, pos + 1, *dummy_past), path,
                          input_names=["input_ids", "attention_mask", "position_ids", *past_names],
                          output_names=["logits", *present_names], dynamic_axes=dynamic, opset_version=OPSET,
                          do_constant_folding=True)
    proto = onnx.load(path)
    proto.doc_string = doc
    proto.producer_name = "pytorch+" + GENERATOR
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, path)
    ops = [n.op_type for n in proto.graph.node]
    fails.check(ops.count("Softmax") == LAYERS, f"{os.path.basename(path)}: export has {ops.count('Softmax')} Softmax nodes (one per layer)")


def train(model: TinyLM, encoded: list[list[int]], bpe: Bpe, epochs: int, lr: float, seed: int, name: str) -> None:
    """Next-token cross-entropy over the padded sequences (Adam, batches of 64, seeded order)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for epoch in range(epochs):
        perm = torch.randperm(len(encoded), generator=gen).tolist()
        total = 0.0
        for i in range(0, len(perm), 64):
            batch = [encoded[j] for j in perm[i:i + 64]]
            ids, mask, pos = pad_right(batch, bpe.eos)
            logits = model(ids, mask, pos, *empty_past(len(batch)))[0]
            target = ids[:, 1:].clone()
            target[mask[:, 1:] == 0] = -100
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, bpe.size), target.reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(batch)
        print(f"  {name} epoch {epoch}: loss {total / len(encoded):.4f}")
    model.eval()


def group_stats(s: np.ndarray, probe_rows: list[dict]) -> dict:
    """Per group: rows, selection rate (s > 0), mean s, TPR and accuracy against `qualified`."""
    groups = np.array([r["group"] for r in probe_rows])
    label = np.array([r["qualified"] for r in probe_rows])
    stats = {}
    for g in sorted(GROUPS):
        m = groups == g
        pos = m & (label == 1)
        stats[g] = {"count": int(m.sum()), "selection_rate": float((s[m] > 0).mean()), "mean_skew": float(s[m].mean()),
                    "tpr": float((s[pos] > 0).mean()), "accuracy": float(((s[m] > 0) == (label[m] == 1)).mean())}
    return stats


NODE_CHECK = r"""
const fs = require('node:fs');
const ort = require('onnxruntime-node');
const { Tokenizer } = require('@huggingface/tokenizers');
const job = JSON.parse(fs.readFileSync(process.argv[1], 'utf8'));
(async () => {
  const session = await ort.InferenceSession.create(job.model, { graphOptimizationLevel: 'disabled' });
  const [b, t] = job.shape;
  const feeds = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(job.ids.map(BigInt)), [b, t]),
    attention_mask: new ort.Tensor('int64', BigInt64Array.from(job.mask.map(BigInt)), [b, t]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(job.pos.map(BigInt)), [b, t]),
  };
  for (const name of session.inputNames) if (name.startsWith('past_key_values.')) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [b, job.heads, 0, job.headDim]);
  const result = await session.run(feeds);
  const logits = result.logits;
  const tok = new Tokenizer(JSON.parse(fs.readFileSync(job.tokenizer, 'utf8')), {});
  let mismatches = 0; let first = null;
  for (const [text, ids] of job.texts) {
    const got = tok.encode(text).ids.map(Number);
    if (JSON.stringify(got) !== JSON.stringify(ids)) { mismatches++; first = first ?? { text, got, ids }; }
  }
  process.stdout.write(JSON.stringify({ ortVersion: ort.env.versions.common, inputs: session.inputNames, outputs: session.outputNames,
    dims: logits.dims.map(Number), logits: Array.from(logits.data), mismatches, first }));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def node_check(out: str, model: TinyLM, bpe: Bpe, texts: list[str], fails: Failures, file: str = "tiny-lm.onnx") -> str | None:
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(REPO, "node_modules", "onnxruntime-node")):
        print("  WARNING: node or node_modules/onnxruntime-node missing; onnxruntime check skipped")
        return None
    rows = [bpe.encode(t) for t in texts[:24]]
    ids, mask, pos = pad_right(rows, bpe.eos)
    with torch.no_grad():
        want = model(ids, mask, pos, *empty_past(len(rows)))[0].numpy()
    tmp = tempfile.mkdtemp(prefix="make-lm-")
    try:
        job = {"model": os.path.join(out, file), "tokenizer": os.path.join(out, "tiny-lm.tokenizer.json"),
               "shape": list(ids.shape), "ids": ids.flatten().tolist(), "mask": mask.flatten().tolist(),
               "pos": pos.flatten().tolist(), "heads": HEADS, "headDim": HEAD_DIM,
               "texts": [[t, bpe.encode(t)] for t in texts]}
        path = os.path.join(tmp, "job.json")
        write_json(path, job)
        proc = subprocess.run([node, "-e", NODE_CHECK, path], cwd=REPO, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            fails.check(False, f"onnxruntime-node check ran: {proc.stderr.strip()[-500:]}")
            return None
        report = json.loads(proc.stdout)
        got = np.array(report["logits"], dtype=np.float32)
        diff = float(np.abs(got.reshape(want.shape) - want).max()) if got.size == want.size else math.inf
        fails.check(diff < 1e-4 and report["dims"] == list(want.shape),
                    f"{file}: onnxruntime-node, past length 0: logits dims {report['dims']}, max |ORT - torch| = {diff:.2e}")
        fails.check(report["mismatches"] == 0,
                    f"tiny-lm.tokenizer.json (@huggingface/tokenizers) reproduces the ids of {len(texts)} texts "
                    f"({report['mismatches']} mismatches{'' if report['first'] is None else ', e.g. ' + json.dumps(report['first'])})")
        print(f"  inputs {report['inputs']}")
        return str(report["ortVersion"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def yesno_spec(model: str, reference: str | None = None) -> dict:
    """The labelled yes/no probe spec over lm-prompts.csv (with `reference`: a compare spec, A = it)."""
    return {
        "model": model,
        **({"referenceModel": reference} if reference else {}),
        "data": "lm-prompts.csv",
        "outputKind": "language_model",
        "task": "binary",
        "label": "qualified",
        "groups": ["group"],
        "bootstrap": 200,
        "seed": 0,
        "probe": {"kind": "yesno", "prompt": "{text}" + QUESTION, "yes": [" yes"], "no": [" no"],
                  "tokenizer": "tiny-lm.tokenizer.json"},
    }


def make_debiased(out: str, model: TinyLM, bpe: Bpe, probe_rows: list[dict], yes_id: int, no_id: int, stats: dict,
                  fails: Failures, check_node: bool) -> dict:
    """
    A second checkpoint of the same model and tokenizer for Compare Models: tiny-lm fine-tuned
    (2 epochs, lr 1e-3) on 3000 fresh questions answered by the true rule (" yes" from 5 years on
    for every group, 4% noise), its own seed. Written after tiny-lm, whose files it leaves as they
    are; tiny-lm-compare.bias.json pairs them (referenceModel tiny-lm.onnx = A, the debiased one B).
    """
    print("== tiny-lm-debiased")
    rng = np.random.default_rng(SEED + 1)
    rows = sample_rows(rng, 3000)
    corpus = []
    for r in rows:
        yes = r["years"] >= TRUE_THRESHOLD
        if rng.random() < 0.04:
            yes = not yes
        corpus.append(r["text"] + QUESTION + (" yes" if yes else " no"))
    debiased = copy.deepcopy(model)
    train(debiased, [bpe.encode(t) + [bpe.eos] for t in corpus], bpe, 2, 1e-3, SEED + 1, "tiny-lm-debiased")
    s = skew(debiased, bpe, [r["text"] + QUESTION for r in probe_rows], yes_id, no_id)
    fixed = group_stats(s, probe_rows)
    for g, st in fixed.items():
        print(f"  group {g}: selection rate {stats[g]['selection_rate']:.3f} -> {st['selection_rate']:.3f}, "
              f"accuracy {stats[g]['accuracy']:.3f} -> {st['accuracy']:.3f}, mean skew {stats[g]['mean_skew']:+.3f} -> {st['mean_skew']:+.3f}")
    fails.check(fixed["F"]["accuracy"] >= stats["F"]["accuracy"] + 0.1,
                "debiased: group F's accuracy is at least 10 points higher than tiny-lm's")
    fails.check(abs(fixed["F"]["selection_rate"] - fixed["M"]["selection_rate"]) < 0.08,
                "debiased: F and M have about the same selection rate")
    fails.check(all(abs(fixed[g]["accuracy"] - stats[g]["accuracy"]) < 0.05 for g in ("M", "N")),
                "debiased: M's and N's accuracy move by less than 5 points")
    path = os.path.join(out, "tiny-lm-debiased.onnx")
    export_lm(debiased, bpe, probe_rows, path,
              "Model Bias Inspector demo: tiny-lm fine-tuned on answers that follow the same rule for every group "
              "(the debiased checkpoint compared with tiny-lm.onnx). Generated by " + GENERATOR + ".", fails)
    if check_node:
        node_check(out, debiased, bpe, [r["text"] + QUESTION for r in probe_rows[:200]], fails, "tiny-lm-debiased.onnx")
    write_json(os.path.join(out, "tiny-lm-compare.bias.json"), yesno_spec("tiny-lm-debiased.onnx", "tiny-lm.onnx"))
    return fixed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(REPO, "examples"), help="output folder")
    parser.add_argument("--skip-node-check", action="store_true", help="do not run the onnxruntime-node check")
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    rng = np.random.default_rng(SEED)
    started = time.time()
    fails = Failures()
    print("== tiny-lm")

    # Training corpus: every question with its answer; the answer follows the group's threshold,
    # with 4% label noise.
    train_rows = sample_rows(rng, 6000)
    corpus = []
    for r in train_rows:
        yes = r["years"] >= TRAIN_THRESHOLD[r["group"]]
        if rng.random() < 0.04:
            yes = not yes
        corpus.append(r["text"] + QUESTION + (" yes" if yes else " no"))
    bpe = Bpe(train_bpe(corpus, 400))
    yes_id, no_id = bpe.encode(" yes"), bpe.encode(" no")
    assert len(yes_id) == 1 and len(no_id) == 1, (yes_id, no_id)
    yes_id, no_id = yes_id[0], no_id[0]
    print(f"  vocabulary {bpe.size} tokens ({len(bpe.merges)} merges), ' yes' = {yes_id}, ' no' = {no_id}")

    encoded = [bpe.encode(t) + [bpe.eos] for t in corpus]
    longest = max(map(len, encoded))
    fails.check(longest <= CONTEXT, f"longest training sequence {longest} tokens <= context {CONTEXT}")
    model = TinyLM(bpe.size)
    train(model, encoded, bpe, 6, 3e-3, SEED, "tiny-lm")

    # Probe data: a fresh sample, labelled by the true rule (5 years).
    probe_rows = sample_rows(rng, 1200)
    s = skew(model, bpe, [r["text"] + QUESTION for r in probe_rows], yes_id, no_id)
    stats = group_stats(s, probe_rows)
    for g, st in stats.items():
        print(f"  group {g}: n={st['count']} selection rate {st['selection_rate']:.3f} "
              f"mean skew {st['mean_skew']:+.3f} TPR {st['tpr']:.3f}")
    fails.check(stats["F"]["selection_rate"] <= min(stats["M"]["selection_rate"], stats["N"]["selection_rate"]) - 0.1,
                "planted: group F's selection rate is at least 10 points below M's and N's")
    fails.check(stats["F"]["mean_skew"] < min(stats["M"]["mean_skew"], stats["N"]["mean_skew"]) - 0.5,
                "planted: group F's mean skew is at least 0.5 below M's and N's")
    fails.check(abs(stats["M"]["selection_rate"] - stats["N"]["selection_rate"]) < 0.08,
                "control: M and N have about the same selection rate")

    # Counterfactual templates: every pattern x years 1..10, with the {group} slot.
    templates = [{"template": p.format(g="{group}", n=n) + QUESTION, "years": n} for p in PATTERNS for n in range(1, 11)]
    flips = 0
    for t in templates:
        sf = skew(model, bpe, [t["template"].replace("{group}", w) for w in GROUPS["F"]], yes_id, no_id).mean()
        sm = skew(model, bpe, [t["template"].replace("{group}", w) for w in GROUPS["M"]], yes_id, no_id).mean()
        flips += int((sf > 0) != (sm > 0))
    print(f"  counterfactual: {flips} of {len(templates)} templates flip between F and M (mean over terms)")
    fails.check(flips >= 3, "planted: at least 3 templates flip between F and M")

    with open(os.path.join(out, "lm-prompts.csv"), "w", encoding="utf-8") as f:
        f.write("text,group,term,years,qualified\n")
        for r in probe_rows:
            f.write(f"{r['text']},{r['group']},{r['term']},{r['years']},{r['qualified']}\n")
    with open(os.path.join(out, "lm-templates.jsonl"), "w", encoding="utf-8") as f:
        for t in templates:
            f.write(json.dumps(t) + "\n")
    write_json(os.path.join(out, "tiny-lm.tokenizer.json"), bpe.tokenizer_json())
    write_json(os.path.join(out, "tiny-lm.bias.json"), yesno_spec("tiny-lm.onnx"))
    write_json(os.path.join(out, "tiny-lm-counterfactual.bias.json"), {
        "model": "tiny-lm.onnx",
        "outputKind": "language_model",
        "bootstrap": 200,
        "seed": 0,
        "probe": {"kind": "counterfactual", "templates": "lm-templates.jsonl", "slot": "{group}",
                  "terms": GROUPS, "answers": {"yes": [" yes"], "no": [" no"]},
                  "tokenizer": "tiny-lm.tokenizer.json"},
    })

    path = os.path.join(out, "tiny-lm.onnx")
    export_lm(model, bpe, probe_rows, path,
              "Model Bias Inspector demo: tiny causal LM (2 layers, 2 heads, d=32, context 40, byte-level BPE). "
              "PLANTED: answers ' yes' less often for applicants described with a female term (F). "
              "Generated by " + GENERATOR + ".", fails)

    ort_version = None
    if not args.skip_node_check:
        print("== onnxruntime-node cross-check")
        ort_version = node_check(out, model, bpe, [r["text"] + QUESTION for r in probe_rows[:200]] + [" yes", " no"], fails)

    debiased_stats = make_debiased(out, model, bpe, probe_rows, yes_id, no_id, stats, fails, not args.skip_node_check)

    with open(os.path.join(out, "tiny-lm.md"), "w", encoding="utf-8") as f:
        f.write(readme(bpe, stats, flips, len(templates), ort_version, debiased_stats))
    for name in ["tiny-lm.onnx", "tiny-lm-debiased.onnx", "tiny-lm.tokenizer.json", "lm-prompts.csv", "lm-templates.jsonl"]:
        print(f"  {name:28s} {os.path.getsize(os.path.join(out, name)) / 1024:8.1f} KiB")
    print(f"== done in {time.time() - started:.1f} s")
    if fails.items:
        print(f"FAILED: {len(fails.items)} check(s):", file=sys.stderr)
        for item in fails.items:
            print(f"  - {item}", file=sys.stderr)
        return 1
    return 0


def readme(bpe: Bpe, stats: dict, flips: int, templates: int, ort_version: str | None, debiased: dict) -> str:
    rows = "\n".join(f"| {g} | {', '.join(GROUPS[g])} | {st['count']} | {100 * st['selection_rate']:.1f}% | "
                     f"{st['mean_skew']:+.2f} | {100 * st['tpr']:.1f}% |" for g, st in stats.items())
    fixed = "\n".join(f"| {g} | {100 * stats[g]['accuracy']:.1f}% → {100 * st['accuracy']:.1f}% | "
                      f"{100 * stats[g]['selection_rate']:.1f}% → {100 * st['selection_rate']:.1f}% | "
                      f"{stats[g]['mean_skew']:+.2f} → {st['mean_skew']:+.2f} |" for g, st in debiased.items())
    checked = (f"onnxruntime-node {ort_version} reproduces PyTorch's logits within 1e-4 with an empty past, and "
               "@huggingface/tokenizers reproduces the tokenizer's ids." if ort_version else
               "(the onnxruntime-node cross-check was skipped on this run).")
    return f"""# tiny-lm: a causal language model with a planted yes/no skew

Generated by `/usr/bin/python3 scripts/{os.path.basename(GENERATOR)}` (PyTorch, seeded; a rerun
rewrites these files and this page). {checked}

- Files: `tiny-lm.onnx`, `tiny-lm.tokenizer.json`, `lm-prompts.csv` (1200 rows: text, group,
  term, years, qualified), `lm-templates.jsonl` ({templates} templates with a `{{group}}` slot),
  `tiny-lm.bias.json` (yes/no probe with labels) and `tiny-lm-counterfactual.bias.json`.
- Model: GPT-style decoder, {LAYERS} layers, {HEADS} heads, d = {D_MODEL}, {CONTEXT} learned positions
  (the context), hand-written attention (`MatMul → Div → Add(mask) → Softmax → MatMul`).
  Inputs `input_ids`, `attention_mask` (past + sequence), `position_ids` int64 and
  `past_key_values.{{0,1}}.{{key,value}}` float32 [batch, {HEADS}, past_sequence, {HEAD_DIM}]; outputs
  `logits` float32 [batch, sequence, {bpe.size}] and `present.*`.
- Tokenizer: byte-level BPE (GPT-2 scheme, {len(bpe.merges)} merges trained on the corpus,
  `<|endoftext|>` = {bpe.eos}); `" yes"` and `" no"` are one token each.
- Corpus: hiring questions "the applicant is a <term> with <n> years of experience . hire ?
  answer yes or no: <answer>" (three sentence patterns, n = 1…10). **Planted skew**: the training
  answer is " yes" from 7 years on for group F's terms, from 5 years on for M and N (4% noise).
  The probe data's label `qualified` is the true rule (5 years) for everyone.
- Measured in PyTorch (s = logP(" yes") − logP(" no") after "answer yes or no:"):

| group | terms | n | selection rate (s > 0) | mean s | TPR |
|---|---|---|---|---|---|
{rows}

- Counterfactual: {flips} of {templates} templates flip the preferred answer between F and M.
- `bias-inspector probe --spec examples/tiny-lm.bias.json` and
  `bias-inspector probe --spec examples/tiny-lm-counterfactual.bias.json` find it.

## tiny-lm-debiased: a second checkpoint to compare with

`tiny-lm-debiased.onnx` is tiny-lm fine-tuned (2 epochs, Adam lr 1e-3, its own seed) on 3000
fresh questions answered by the true rule: " yes" from 5 years on for every group (4% noise).
Same architecture, tokenizer and inputs. `tiny-lm-compare.bias.json` runs the yes/no probe on
both (`referenceModel` tiny-lm.onnx is A, the baseline; `model` the debiased one is B). Measured
in PyTorch on the 1200 probe rows (tiny-lm → tiny-lm-debiased):

| group | accuracy (s > 0 vs `qualified`) | selection rate | mean s |
|---|---|---|---|
{fixed}

- `bias-inspector compare --spec examples/tiny-lm-compare.bias.json` reports the per-group Δ,
  the flips and McNemar's test; in VS Code select both models and run *Compare Models*.
"""


if __name__ == "__main__":
    sys.exit(main())
