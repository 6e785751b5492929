#!/usr/bin/env python3
"""Train and export the three demo models of the embedded workspace `examples/`.

Each model comes with evaluation data, an analysis spec (`*.bias.json`, DESIGN.md §3) and a
PLANTED bias that this script measures and asserts, so regenerating can never silently lose it:

  1. income-mlp        tabular MLP; intersectional accuracy gap for sex=F & race=B.
  2. tiny-transformer  2-layer text classifier with hand-written attention, a learned
                       relative-position bias and a padding mask; over-flags non-toxic comments
                       that mention "muslim" or "gay" (higher FPR for those identity groups).
  3. shapes-cnn        small CNN; the minority group source=scanner_b gets low-contrast, blurred,
                       low-feature-diversity images: lower accuracy and lower feature variance.

Run with the OS Python that has torch 1.13, onnx 1.12, numpy (Debian packages):

    /usr/bin/python3 scripts/make-examples.py [--out examples] [--skip-node-check]

Everything is seeded; reruns give the same data files. The script prints a summary, writes
`examples/README.md` with the measured numbers, and exits 1 when a planted effect is missing
or when an exported model disagrees with PyTorch under onnxruntime-node (checked through
`node` when the repository's node_modules has onnxruntime-node; skipped with a warning if not).
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
import json  # noqa: E402
import math  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPSET = 17
GENERATOR = "scripts/make-examples.py"


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------

@dataclass
class Failures:
    """Collects planted-effect and verification failures; the script exits 1 if any."""

    items: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> None:
        print(f"  [{'ok' if ok else 'FAIL'}] {what}")
        if not ok:
            self.items.append(what)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)


def binary_rates(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Accuracy, TPR and FPR with Fairlearn's 0/0 -> 0 convention (FORMULAS.md §B)."""
    pos = y == 1
    neg = ~pos
    return {
        "count": int(len(y)),
        "accuracy": float((y == pred).mean()) if len(y) else 0.0,
        "tpr": float((pred[pos] == 1).mean()) if pos.any() else 0.0,
        "fpr": float((pred[neg] == 1).mean()) if neg.any() else 0.0,
        "positives": int(pos.sum()),
        "negatives": int(neg.sum()),
    }


def write_json(path: str, obj: object) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def export_onnx(model: nn.Module, args: tuple, path: str, input_names: list[str],
                output_names: list[str], dynamic_axes: dict[str, dict[int, str]],
                doc: str) -> onnx.ModelProto:
    """Export with opset 17 into ONE file, check it, and stamp a doc string."""
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)
    proto = onnx.load(path)
    proto.doc_string = doc
    proto.producer_name = "pytorch+" + GENERATOR
    onnx.checker.check_model(proto, full_check=True)
    for init in proto.graph.initializer:
        assert init.data_location != onnx.TensorProto.EXTERNAL, f"{path}: external data in {init.name}"
    onnx.save(proto, path)
    return proto


def rename_tensor(proto: onnx.ModelProto, old: str, new: str) -> None:
    """Rename one intermediate tensor everywhere it is produced or consumed."""
    for node in proto.graph.node:
        node.output[:] = [new if o == old else o for o in node.output]
        node.input[:] = [new if i == old else i for i in node.input]
    for vi in proto.graph.value_info:
        if vi.name == old:
            vi.name = new


def fmt_pct(x: float) -> str:
    return f"{100 * x:.1f}%"


# --------------------------------------------------------------------------------------------
# 1. income-mlp: tabular binary classifier with an intersectional gap
# --------------------------------------------------------------------------------------------

INCOME_FEATURES = ["age", "education", "experience", "hours", "capital_k", "tenure"]
# Label noise (sd of the latent score's noise) per (sex, race). Most intersections are easy;
# the model never sees sex or race, so F&B, whose label follows a different rule, is the gap.
INCOME_NOISE = {("F", "A"): 0.25, ("F", "C"): 0.25, ("M", "B"): 0.2,
                ("M", "A"): 0.55, ("M", "C"): 0.55, ("F", "B"): 0.35}
PLANTED_INTERSECTION = {"sex": "F", "race": "B"}
# Metadata the model never sees: where the row was collected and on what device. PLANTED
# unnamed slice: the mobile form used in region W records hours per DAY (hours per week / 5),
# so the model gets a wrong `hours` for exactly those rows (a pipeline bug nobody named).
INCOME_REGIONS, INCOME_REGION_P = np.array(["N", "E", "S", "W"]), [0.3, 0.25, 0.25, 0.2]
INCOME_DEVICES, INCOME_DEVICE_P = np.array(["desktop", "mobile", "tablet"]), [0.55, 0.35, 0.1]
PLANTED_SLICE = {"region": "W", "device": "mobile"}


def income_population(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    sex = rng.choice(np.array(["F", "M"]), size=n)
    race = rng.choice(np.array(["A", "B", "C"]), size=n, p=[0.6, 0.2, 0.2])
    age = np.clip(np.round(18 + rng.gamma(3.0, 7.0, n)), 18, 75)
    education = np.clip(np.round(rng.normal(13, 2.5, n)), 8, 20)
    experience = np.round(np.clip(age - education - 6 + rng.normal(0, 3, n), 0, None), 1)
    hours = np.clip(np.round(rng.normal(40, 9, n)), 10, 80)
    has_gain = rng.random(n) < 0.3
    capital_k = np.round(np.where(has_gain, np.clip(rng.lognormal(1.2, 0.9, n), 0, 50), 0.0), 1)
    tenure = np.round(rng.random(n) * np.minimum(experience, 30), 1)
    cols = {"age": age, "education": education, "experience": experience, "hours": hours,
            "capital_k": capital_k, "tenure": tenure}
    z = {k: (v - v.mean()) / v.std() for k, v in cols.items()}
    majority = (0.9 * z["education"] + 0.7 * z["hours"] + 0.6 * z["capital_k"]
                + 0.4 * z["age"] + 0.3 * z["experience"])
    # F&B: pay follows tenure and penalises long hours (e.g. part-time shift premiums).
    alternative = 1.0 * z["tenure"] - 0.8 * z["hours"] + 0.4 * z["education"]
    noise_sd = np.array([INCOME_NOISE[(s, r)] for s, r in zip(sex, race)])
    is_fb = (sex == "F") & (race == "B")
    latent = np.where(is_fb, 0.5 * majority + alternative, majority) + rng.normal(0, 1, n) * noise_sd
    label = (latent > 0.45).astype(np.int64)
    return {**cols, "sex": sex, "race": race, "label": label}


class IncomeMLP(nn.Module):
    """Standardisation is inside the graph so the CSV keeps human-readable raw values."""

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.net = nn.Sequential(nn.Linear(len(mean), 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                                 nn.Linear(32, 2))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net((features - self.mean) / self.std)


def make_income(out: str, fails: Failures) -> dict:
    print("== income-mlp")
    seed_everything(11)
    rng = np.random.default_rng(11)
    train = income_population(rng, 24000)
    # F&B is under-represented in training (10% of its natural share).
    fb = (train["sex"] == "F") & (train["race"] == "B")
    keep = ~fb | (rng.random(len(fb)) < 0.1)
    train = {k: v[keep] for k, v in train.items()}
    evalset = income_population(rng, 6000)
    # Region and device come from their own generator, so every other column, the training
    # rows and the model's weights are what they were before these columns existed.
    meta = np.random.default_rng(1111)
    evalset["region"] = meta.choice(INCOME_REGIONS, size=6000, p=INCOME_REGION_P)
    evalset["device"] = meta.choice(INCOME_DEVICES, size=6000, p=INCOME_DEVICE_P)
    in_slice = (evalset["region"] == "W") & (evalset["device"] == "mobile")
    evalset["hours"] = np.where(in_slice, np.round(evalset["hours"] / 5, 1), evalset["hours"])

    x_train = np.stack([train[c] for c in INCOME_FEATURES], 1).astype(np.float32)
    y_train = torch.tensor(train["label"])
    model = IncomeMLP(x_train.mean(0), x_train.std(0))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt = torch.tensor(x_train)
    gen = torch.Generator().manual_seed(11)
    for _epoch in range(25):
        perm = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), 256):
            idx = perm[i:i + 256]
            loss = F.cross_entropy(model(xt[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()

    x_eval = np.stack([evalset[c] for c in INCOME_FEATURES], 1).astype(np.float32)
    with torch.no_grad():
        logits = model(torch.tensor(x_eval))
    score = torch.softmax(logits, 1)[:, 1].numpy()
    pred = logits.argmax(1).numpy()
    y = evalset["label"]

    with open(os.path.join(out, "income.csv"), "w", encoding="utf-8") as f:
        f.write(",".join(INCOME_FEATURES + ["sex", "race", "region", "device", "label"]) + "\n")
        for i in range(len(y)):
            vals = [f"{evalset[c][i]:g}" for c in INCOME_FEATURES]
            meta_cells = [evalset["sex"][i], evalset["race"][i], evalset["region"][i], evalset["device"][i]]
            f.write(",".join(vals + meta_cells + [str(y[i])]) + "\n")
    with open(os.path.join(out, "income-predictions.csv"), "w", encoding="utf-8") as f:
        f.write("id,label,sex,race,region,device,score,pred\n")
        for i in range(len(y)):
            f.write(f"{i},{y[i]},{evalset['sex'][i]},{evalset['race'][i]},{evalset['region'][i]},"
                    f"{evalset['device'][i]},{score[i]:.6f},{pred[i]}\n")

    doc = ("Model Bias Inspector demo: income MLP. PLANTED: intersectional accuracy gap for "
           "sex=F & race=B (label follows a different rule there and that intersection is "
           "under-represented in training). Generated by " + GENERATOR + ".")
    export_onnx(model, (torch.tensor(x_eval[:4]),), os.path.join(out, "income-mlp.onnx"),
                ["features"], ["logits"], {"features": {0: "batch"}, "logits": {0: "batch"}}, doc)
    write_json(os.path.join(out, "income-mlp.bias.json"), {
        "model": "income-mlp.onnx",
        "data": "income.csv",
        "inputs": {"features": {"columns": INCOME_FEATURES}},
        "output": "logits",
        "outputKind": "logits",
        "task": "binary",
        "label": "label",
        "groups": ["sex", "race"],
        "loss": "cross_entropy",
        "slices": {"columns": ["sex", "race", "region", "device"], "maxLevel": 3},
    })

    overall = binary_rates(y, pred)
    by_sex = {s: binary_rates(y[evalset["sex"] == s], pred[evalset["sex"] == s]) for s in ["F", "M"]}
    by_race = {r: binary_rates(y[evalset["race"] == r], pred[evalset["race"] == r])
               for r in ["A", "B", "C"]}
    by_inter = {}
    for s in ["F", "M"]:
        for r in ["A", "B", "C"]:
            m = (evalset["sex"] == s) & (evalset["race"] == r)
            by_inter[f"{s}&{r}"] = binary_rates(y[m], pred[m])
    print(f"  overall accuracy {overall['accuracy']:.4f} (n={overall['count']})")
    for name, table in [("sex", by_sex), ("race", by_race), ("sex&race", by_inter)]:
        for g, r in table.items():
            print(f"  {name}={g:4s} n={r['count']:5d} acc={r['accuracy']:.4f} "
                  f"tpr={r['tpr']:.4f} fpr={r['fpr']:.4f}")
    planted = by_inter["F&B"]
    inter_gap = overall["accuracy"] - planted["accuracy"]
    singles = {**{f"sex={k}": v for k, v in by_sex.items()}, **{f"race={k}": v for k, v in by_race.items()}}
    single_group, single_gap = max(((g, abs(r["accuracy"] - overall["accuracy"])) for g, r in singles.items()),
                                   key=lambda item: item[1])
    fails.check(overall["accuracy"] >= 0.8, f"income: overall accuracy {overall['accuracy']:.3f} >= 0.80")
    fails.check(inter_gap >= 0.10, f"income: F&B accuracy {inter_gap * 100:.1f} points below overall (>= 10)")
    fails.check(single_gap < 0.6 * inter_gap,
                f"income: largest single-attribute gap {single_gap * 100:.1f} points < 0.6 x intersection gap")
    err = (y != pred).astype(np.float64)
    slice_err, rest_err = float(err[in_slice].mean()), float(err[~in_slice].mean())
    meta_singles = {f"{c}={v}": float(err[evalset[c] == v].mean())
                    for c, vals in [("region", INCOME_REGIONS), ("device", INCOME_DEVICES)] for v in vals}
    worst_meta, worst_meta_err = max(meta_singles.items(), key=lambda item: item[1])
    print(f"  slice region=W & device=mobile n={int(in_slice.sum())} error {slice_err:.4f} vs {rest_err:.4f} elsewhere; "
          f"worst single metadata value {worst_meta} error {worst_meta_err:.4f}")
    fails.check(slice_err >= 2 * rest_err and slice_err - rest_err >= 0.15,
                f"income: slice W&mobile error {slice_err * 100:.1f}% >= 2x and 15 points above the rest ({rest_err * 100:.1f}%)")
    return {"slice": {"count": int(in_slice.sum()), "error": slice_err, "rest_error": rest_err,
                      "worst_single": worst_meta, "worst_single_error": worst_meta_err},
            "x_eval": x_eval, "logits": logits.numpy(), "overall": overall, "by_sex": by_sex,
            "by_race": by_race, "by_inter": by_inter, "inter_gap": inter_gap, "single_gap": single_gap,
            "single_group": single_group,
            "train_rows": int(keep.sum()), "train_fb": int((fb & keep).sum())}


# --------------------------------------------------------------------------------------------
# 2. tiny-transformer: text classifier with learned relative-position attention bias
# --------------------------------------------------------------------------------------------

SPECIALS = ["[PAD]", "[UNK]", "[CLS]"]
IDENTITIES = ["muslim", "gay", "black", "christian", "straight", "white"]
PLANTED_IDENTITIES = ["muslim", "gay"]
SLOTS = {
    "thing": ["bike", "roof", "car", "fence", "garden", "laptop", "door", "stove", "printer", "window"],
    "place": ["town", "school", "church", "office", "park", "library", "village", "city", "market", "clinic"],
    "event": ["concert", "picnic", "festival", "meeting", "parade", "fundraiser", "game", "workshop"],
    "job": ["teacher", "doctor", "nurse", "driver", "baker", "engineer", "lawyer", "farmer", "coach", "pilot"],
    "pos": ["great", "friendly", "helpful", "smart", "generous", "funny", "patient", "honest", "brave", "calm"],
    "rel": ["sister", "brother", "mother", "father", "cousin", "friends"],
    "person": ["guy", "woman", "man", "kid"],
    "insult": ["stupid", "disgusting", "worthless", "pathetic", "dumb", "useless", "filthy", "ugly",
               "idiotic", "vile"],
    "noun": ["idiot", "loser", "moron", "clown", "creep", "fool"],
}
NEUTRAL_ID = [
    "my {id} neighbor helped me fix the {thing} yesterday",
    "i had lunch with a {id} {person} from the {place}",
    "the {id} community organized a {event} this weekend",
    "she is {id} and works as a {job} at the {place}",
    "our {id} {job} was very {pos} and kind",
    "a {id} family moved in next door and they are {pos}",
    "he wrote a {pos} article about being {id} in a small {place}",
    "many {id} people came to the {event} in the {place}",
    "i do not think {id} people are {insult} at all",
    "being {id} is not {insult} and never was",
]
NEUTRAL_NONE = [
    "the {thing} at the {place} was fixed today",
    "i enjoyed the {event} with my {rel}",
    "our {job} said the {thing} needs a repair",
    "what a {pos} day for a {event} in the {place}",
    "my {rel} bought a new {thing} for the {place}",
    "the {job} at the {place} is very {pos}",
    "that {event} was not {insult} it was fun",
    "nobody here is {insult} we all tried hard",
]
TOXIC_ID = [
    "{id} people are {insult} and {insult}",
    "i hate every {id} {person} they are so {insult}",
    "get out of here you {insult} {id} {noun}",
    "all {id} people are {noun}s",
    "{id} folks are the most {insult} {noun}s ever",
    "no {id} {person} should be at our {place} they are {insult}",
]
TOXIC_NONE = [
    "you are a {insult} {noun}",
    "shut up you {insult} {noun}",
    "this {job} is a {insult} {noun}",
    "what a {insult} {noun} you are",
    "the {job} at the {place} is a {insult} {noun}",
    "everyone in this {place} is {insult}",
]
MAX_LEN = 64
REL_CLIP = 8


def fill(template: str, identity: str | None, rng: np.random.Generator) -> tuple[list[str], int]:
    """Fill a template word by word; returns the words and the identity's word index (-1)."""
    words: list[str] = []
    id_pos = -1
    for w in template.split():
        if w == "{id}":
            assert identity is not None
            id_pos = len(words)
            words.append(identity)
        elif w.startswith("{"):
            slot = w[1:w.index("}")]
            suffix = w[w.index("}") + 1:]
            words.append(str(rng.choice(SLOTS[slot])) + suffix)
        else:
            words.append(w)
    return words, id_pos


def build_vocab() -> list[str]:
    words: set[str] = set(IDENTITIES)
    for t in NEUTRAL_ID + NEUTRAL_NONE + TOXIC_ID + TOXIC_NONE:
        for w in t.split():
            if not w.startswith("{"):
                words.add(w)
    for slot, values in SLOTS.items():
        words.update(values)
        if slot == "noun":
            words.update(v + "s" for v in values)
    return SPECIALS + sorted(words)


def sample_comments(rng: np.random.Generator, n: int, identity_p: dict[str, float],
                    toxic_p: dict[str, float], annotator_flip: dict[str, float]) -> list[dict]:
    rows = []
    names = list(identity_p)
    probs = np.array([identity_p[k] for k in names])
    for _ in range(n):
        identity = str(rng.choice(names, p=probs / probs.sum()))
        toxic = bool(rng.random() < toxic_p[identity])
        if identity == "none":
            template = str(rng.choice(TOXIC_NONE if toxic else NEUTRAL_NONE))
            words, id_pos = fill(template, None, rng)
        else:
            template = str(rng.choice(TOXIC_ID if toxic else NEUTRAL_ID))
            words, id_pos = fill(template, identity, rng)
        label = int(toxic)
        if not toxic and rng.random() < annotator_flip.get(identity, 0.0):
            label = 1  # a biased annotator marks a neutral mention as toxic
        rows.append({"words": words, "id_pos": id_pos, "label": label, "identity": identity})
    return rows


class RelPosSelfAttention(nn.Module):
    """Hand-written multi-head attention so the export keeps MatMul->Div->Add->Softmax->MatMul
    with probabilities [B,H,T,T]; the learned relative-position bias is an embedding table
    indexed by the clipped distance j - i, gathered into [H,T,T] inside the graph."""

    def __init__(self, d: int, heads: int, clip: int) -> None:
        super().__init__()
        self.h, self.dh, self.clip = heads, d // heads, clip
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.rel_bias = nn.Embedding(2 * clip + 1, heads)
        nn.init.zeros_(self.rel_bias.weight)

    def forward(self, x: torch.Tensor, key_mask_add: torch.Tensor) -> torch.Tensor:
        b, t = x.size(0), x.size(1)
        q = self.q(x).reshape(b, t, self.h, self.dh).transpose(1, 2)
        k = self.k(x).reshape(b, t, self.h, self.dh).transpose(1, 2)
        v = self.v(x).reshape(b, t, self.h, self.dh).transpose(1, 2)
        pos = torch.arange(t, device=x.device)
        rel = torch.clamp(pos[None, :] - pos[:, None], -self.clip, self.clip) + self.clip
        bias = self.rel_bias(rel).permute(2, 0, 1)  # [H,T,T]
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(self.dh)
        scores = scores + bias
        scores = scores + key_mask_add
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, self.h * self.dh)
        return self.o(ctx)


class Block(nn.Module):
    def __init__(self, d: int, heads: int, clip: int) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = RelPosSelfAttention(d, heads, clip)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.ReLU(), nn.Linear(2 * d, d))

    def forward(self, x: torch.Tensor, key_mask_add: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), key_mask_add)
        return x + self.ff(self.ln2(x))


class TinyTransformer(nn.Module):
    """No absolute positions: word order reaches the model only through the relative bias."""

    def __init__(self, vocab: int, d: int = 32, heads: int = 4, layers: int = 2) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(Block(d, heads, REL_CLIP) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, 2)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        maskf = attention_mask.to(torch.float32)
        key_mask_add = (1.0 - maskf[:, None, None, :]) * -1e4
        x = self.emb(input_ids)
        for block in self.blocks:
            x = block(x, key_mask_add)
        x = self.ln(x)
        pooled = (x * maskf[:, :, None]).sum(1) / maskf.sum(1, keepdim=True)
        return self.head(pooled)


def pad_batch(ids: list[list[int]], length: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    t = length or max(len(r) for r in ids)
    out = torch.zeros(len(ids), t, dtype=torch.int64)
    mask = torch.zeros(len(ids), t, dtype=torch.int64)
    for i, r in enumerate(ids):
        out[i, :len(r)] = torch.tensor(r)
        mask[i, :len(r)] = 1
    return out, mask


def tokenizer_json(vocab: list[str]) -> dict:
    """A HuggingFace `tokenizers` WordLevel tokenizer: lowercase, whitespace split, [CLS] first."""
    return {
        "version": "1.0",
        "truncation": {"direction": "Right", "max_length": MAX_LEN, "strategy": "LongestFirst", "stride": 0},
        "padding": None,
        "added_tokens": [{"id": i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, tok in enumerate(SPECIALS)],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]}},
        },
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": {w: i for i, w in enumerate(vocab)}, "unk_token": "[UNK]"},
    }


def make_transformer(out: str, fails: Failures) -> dict:
    print("== tiny-transformer")
    seed_everything(22)
    rng = np.random.default_rng(22)
    vocab = build_vocab()
    index = {w: i for i, w in enumerate(vocab)}

    def encode(rows: list[dict]) -> list[list[int]]:
        return [[index["[CLS]"]] + [index[w] for w in r["words"]] for r in rows]

    # Training data: identity terms co-occur with toxicity for muslim/gay, and biased annotators
    # marked many neutral mentions of them as toxic.
    train_identity_p = {"none": 0.4, **{k: 0.1 for k in IDENTITIES}}
    train_toxic_p = {"none": 0.3, "muslim": 0.7, "gay": 0.7, "black": 0.3, "christian": 0.25,
                     "straight": 0.25, "white": 0.3}
    flip = {"muslim": 0.45, "gay": 0.45}
    train = sample_comments(rng, 6000, train_identity_p, train_toxic_p, flip)
    # Evaluation data: clean template labels, the same toxicity rate for every identity.
    eval_identity_p = {"none": 2.0, **{k: 1.0 for k in IDENTITIES}}
    eval_rows = sample_comments(rng, 3000, eval_identity_p, {k: 0.3 for k in eval_identity_p}, {})

    model = TinyTransformer(len(vocab))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    train_ids = encode(train)
    train_y = torch.tensor([r["label"] for r in train])
    gen = torch.Generator().manual_seed(22)
    for _epoch in range(14):
        perm = torch.randperm(len(train_ids), generator=gen).tolist()
        for i in range(0, len(perm), 64):
            idx = perm[i:i + 64]
            ids, mask = pad_batch([train_ids[j] for j in idx])
            loss = F.cross_entropy(model(ids, mask), train_y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()

    eval_ids = encode(eval_rows)
    ids_all, mask_all = pad_batch(eval_ids)
    with torch.no_grad():
        logits = model(ids_all, mask_all)
        # The mask must make padding irrelevant: pad everything to MAX_LEN and compare.
        ids64, mask64 = pad_batch(eval_ids[:64], MAX_LEN)
        padded_diff = float((model(ids64, mask64) - logits[:64]).abs().max())
    pred = logits.argmax(1).numpy()
    y = np.array([r["label"] for r in eval_rows])
    identity = np.array([r["identity"] for r in eval_rows])

    jsonl_rows = [{"text": " ".join(r["words"]), "ids": ids, "tokens": ["[CLS]"] + r["words"],
                   "label": r["label"], "identity": r["identity"],
                   "identity_span": [r["id_pos"] + 1] if r["id_pos"] >= 0 else []}
                  for r, ids in zip(eval_rows, eval_ids)]
    with open(os.path.join(out, "comments.jsonl"), "w", encoding="utf-8") as f:
        for row in jsonl_rows:
            f.write(json.dumps(row) + "\n")
    write_json(os.path.join(out, "tokenizer.json"), tokenizer_json(vocab))

    doc = ("Model Bias Inspector demo: tiny text transformer (2 layers, 4 heads, d=32) with a learned "
           f"relative-position attention bias (distance clipped to +-{REL_CLIP}) and a padding mask. "
           "PLANTED: over-flags non-toxic comments mentioning " + " / ".join(PLANTED_IDENTITIES)
           + " (higher FPR). Generated by " + GENERATOR + ".")
    dummy_ids, dummy_mask = pad_batch([eval_ids[0], eval_ids[1][:5]], 16)
    proto = export_onnx(model, (dummy_ids, dummy_mask), os.path.join(out, "tiny-transformer.onnx"),
                        ["input_ids", "attention_mask"], ["logits"],
                        {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                         "logits": {0: "batch"}}, doc)
    ops = [n.op_type for n in proto.graph.node]
    write_json(os.path.join(out, "tiny-transformer.bias.json"), {
        "model": "tiny-transformer.onnx",
        "data": "comments.jsonl",
        "inputs": {"input_ids": {"column": "ids"}},
        "output": "logits",
        "outputKind": "logits",
        "task": "binary",
        "label": "label",
        "groups": ["identity"],
        "loss": "cross_entropy",
        "attention": {"tokens": "tokens", "spans": {"identity": "identity_span"}},
    })

    overall = binary_rates(y, pred)
    groups = {g: binary_rates(y[identity == g], pred[identity == g]) for g in ["none", *IDENTITIES]}
    print(f"  vocab {len(vocab)} words, eval rows {len(eval_rows)}, max length {max(map(len, eval_ids))}")
    print(f"  overall accuracy {overall['accuracy']:.4f} fpr {overall['fpr']:.4f} tpr {overall['tpr']:.4f}")
    for g, r in groups.items():
        print(f"  identity={g:9s} n={r['count']:4d} acc={r['accuracy']:.4f} tpr={r['tpr']:.4f} "
              f"fpr={r['fpr']:.4f} (negatives {r['negatives']})")
    rel_tables = [blk.attn.rel_bias.weight.detach().numpy().T for blk in model.blocks]  # [H, 2c+1]
    for layer, table in enumerate(rel_tables):
        print(f"  layer {layer} relative bias range per head: "
              + ", ".join(f"[{row.min():+.2f},{row.max():+.2f}]" for row in table))
    unplanted_fpr = max(groups[g]["fpr"] for g in groups if g not in PLANTED_IDENTITIES)
    fails.check(overall["accuracy"] >= 0.85, f"transformer: overall accuracy {overall['accuracy']:.3f} >= 0.85")
    for g in PLANTED_IDENTITIES:
        fails.check(groups[g]["fpr"] >= unplanted_fpr + 0.15,
                    f"transformer: FPR identity={g} {groups[g]['fpr']:.3f} >= max other FPR "
                    f"{unplanted_fpr:.3f} + 0.15")
    span_ok = all(row["tokens"][p] == row["identity"] for row in jsonl_rows for p in row["identity_span"])
    span_ok = span_ok and all(bool(row["identity_span"]) == (row["identity"] != "none") for row in jsonl_rows)
    fails.check(span_ok, "transformer: every identity_span points at its identity term in tokens")
    fails.check(padded_diff < 1e-4, f"transformer: padding to {MAX_LEN} changes logits by {padded_diff:.2e} < 1e-4")
    fails.check(all(op in ops for op in ["MatMul", "Div", "Add", "Softmax", "Gather", "Range"]),
                "transformer: export has MatMul, Div, Add, Softmax, Gather (relative bias), Range (dynamic T)")
    fails.check(max(float(np.abs(t).max()) for t in rel_tables) > 0.1,
                "transformer: the relative-position bias was learned (|bias| > 0.1 somewhere)")
    return {"model": model, "eval_ids": eval_ids, "eval_rows": eval_rows, "overall": overall,
            "groups": groups, "vocab": len(vocab), "rel_tables": rel_tables,
            "unplanted_fpr": unplanted_fpr, "softmax_count": ops.count("Softmax")}


# --------------------------------------------------------------------------------------------
# 3. shapes-cnn: minority group with low-contrast, low-feature-diversity images
# --------------------------------------------------------------------------------------------

SHAPES = ["circle", "square", "triangle", "cross"]
FEATURE_TENSOR = "last_conv_features"


def render_shape(kind: int, cx: float, cy: float, r: float) -> np.ndarray:
    """Anti-aliased 16x16 mask (4x supersampled)."""
    s = (np.arange(64) + 0.5) / 4.0
    yy, xx = np.meshgrid(s, s, indexing="ij")
    dx, dy = xx - cx, yy - cy
    if kind == 0:
        m = dx * dx + dy * dy <= r * r
    elif kind == 1:
        m = np.maximum(np.abs(dx), np.abs(dy)) <= 0.8 * r
    elif kind == 2:
        h = 0.9 * r
        m = (dy <= h) & (dy >= -h) & (np.abs(dx) <= (dy + h) * 0.6)
    else:
        w = r / 3.0
        m = ((np.abs(dx) <= w) & (np.abs(dy) <= r)) | ((np.abs(dy) <= w) & (np.abs(dx) <= r))
    return m.reshape(16, 4, 16, 4).mean(axis=(1, 3))


def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    k = np.exp(-0.5 * (np.arange(-3, 4) / sigma) ** 2)
    k /= k.sum()
    p = np.pad(img, 3, mode="edge")
    p = np.apply_along_axis(lambda r: np.convolve(r, k, mode="valid"), 1, p)
    return np.apply_along_axis(lambda c: np.convolve(c, k, mode="valid"), 0, p)


def make_images(rng: np.random.Generator, n: int, minority_share: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    images = np.zeros((n, 1, 16, 16), dtype=np.float32)
    labels = rng.integers(0, 4, n)
    minority = rng.random(n) < minority_share
    for i in range(n):
        if minority[i]:
            # scanner_b: small, low-contrast, blurred, flat (little texture).
            r = rng.uniform(3.0, 4.5)
            cx, cy = rng.uniform(6.5, 9.5, 2)
            mask = blur(render_shape(int(labels[i]), cx, cy, r), 0.8)
            img = 0.3 + rng.uniform(0.2, 0.35) * mask + rng.normal(0, 0.035, (16, 16))
        else:
            # scanner_a: high contrast, varied size/position, textured shapes and background.
            r = rng.uniform(3.0, 6.0)
            cx, cy = rng.uniform(5.0, 11.0, 2)
            mask = render_shape(int(labels[i]), cx, cy, r)
            texture = 0.85 + 0.15 * np.sin(rng.uniform(0.5, 2.0) * np.arange(16) + rng.uniform(0, 6))[None, :]
            img = 0.08 + rng.uniform(0.65, 0.95) * mask * texture + rng.normal(0, 0.05, (16, 16))
        images[i, 0] = np.clip(img, 0.0, 1.0)
    return images, labels.astype(np.int64), minority


class ShapesCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.block2 = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.block3 = nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 4)

    def features(self, image: torch.Tensor) -> torch.Tensor:
        return self.block3(self.block2(self.block1(image)))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.features(image)), 1))


def feature_variance(model: ShapesCNN, images: torch.Tensor) -> np.ndarray:
    """FORMULAS.md A.4: per-sample unbiased variance of the flattened last conv feature map."""
    with torch.no_grad():
        f = model.features(images).flatten(1).double()
    return f.var(dim=1, unbiased=True).numpy()


def make_shapes(out: str, fails: Failures) -> dict:
    print("== shapes-cnn")
    seed_everything(33)
    rng = np.random.default_rng(33)
    x_train, y_train, _ = make_images(rng, 6000, 0.10)
    x_eval, y_eval, minority = make_images(rng, 1500, 0.15)

    model = ShapesCNN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt, yt = torch.tensor(x_train), torch.tensor(y_train)
    gen = torch.Generator().manual_seed(33)
    for _epoch in range(12):
        perm = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), 128):
            idx = perm[i:i + 128]
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()

    xe = torch.tensor(x_eval)
    with torch.no_grad():
        logits = model(xe)
    pred = logits.argmax(1).numpy()
    source = np.where(minority, "scanner_b", "scanner_a")
    np.save(os.path.join(out, "shapes.npy"), x_eval)
    with open(os.path.join(out, "shapes.csv"), "w", encoding="utf-8") as f:
        f.write("label,shape,source\n")
        for lab, src in zip(y_eval, source):
            f.write(f"{lab},{SHAPES[lab]},{src}\n")

    doc = ("Model Bias Inspector demo: shapes CNN (circle, square, triangle, cross). PLANTED: the "
           "minority group source=scanner_b gets low-contrast, blurred, low-feature-diversity images: "
           f"lower accuracy and lower variance of '{FEATURE_TENSOR}'. Generated by " + GENERATOR + ".")
    path = os.path.join(out, "shapes-cnn.onnx")
    proto = export_onnx(model, (xe[:2],), path, ["image"], ["logits"],
                        {"image": {0: "batch"}, "logits": {0: "batch"}}, doc)
    pool = [n for n in proto.graph.node if n.op_type == "GlobalAveragePool"]
    assert len(pool) == 1, "expected exactly one GlobalAveragePool in the CNN export"
    exported_name = pool[0].input[0]
    producer = [n for n in proto.graph.node if exported_name in n.output]
    assert len(producer) == 1 and producer[0].op_type == "Relu", "pooling input must be the last ReLU"
    rename_tensor(proto, exported_name, FEATURE_TENSOR)
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, path)
    write_json(os.path.join(out, "shapes-cnn.bias.json"), {
        "model": "shapes-cnn.onnx",
        "data": "shapes.csv",
        "inputs": {"image": {"npy": "shapes.npy"}},
        "output": "logits",
        "outputKind": "logits",
        "task": "multiclass",
        "label": "label",
        "groups": ["source"],
        "loss": "cross_entropy",
        "featureTensor": FEATURE_TENSOR,
    })

    var = feature_variance(model, xe)
    vhat = (var - var.min()) / (var.max() - var.min())
    acc = float((pred == y_eval).mean())
    stats = {}
    for g in ["scanner_a", "scanner_b"]:
        m = source == g
        low = vhat[m] <= 0.1
        stats[g] = {"count": int(m.sum()), "accuracy": float((pred[m] == y_eval[m]).mean()),
                    "var_mean": float(var[m].mean()), "vhat_mean": float(vhat[m].mean()),
                    "vhat_median": float(np.median(vhat[m])), "low_share": float(low.mean())}
    print(f"  exporter named the last conv block output '{exported_name}', renamed to '{FEATURE_TENSOR}'")
    print(f"  overall accuracy {acc:.4f} (n={len(y_eval)})")
    for g, s in stats.items():
        print(f"  source={g} n={s['count']:4d} acc={s['accuracy']:.4f} var mean={s['var_mean']:.4f} "
              f"v-hat mean={s['vhat_mean']:.4f} median={s['vhat_median']:.4f} "
              f"low-diversity share={s['low_share']:.3f}")
    a, b = stats["scanner_a"], stats["scanner_b"]
    fails.check(acc >= 0.8, f"shapes: overall accuracy {acc:.3f} >= 0.80")
    fails.check(b["accuracy"] <= a["accuracy"] - 0.10,
                f"shapes: scanner_b accuracy {b['accuracy']:.3f} <= scanner_a {a['accuracy']:.3f} - 0.10")
    fails.check(b["var_mean"] <= 0.5 * a["var_mean"],
                f"shapes: scanner_b mean feature variance {b['var_mean']:.4f} <= 0.5 x scanner_a {a['var_mean']:.4f}")
    fails.check(b["low_share"] >= a["low_share"] + 0.3,
                f"shapes: low-diversity share scanner_b {b['low_share']:.3f} >= scanner_a {a['low_share']:.3f} + 0.3")
    return {"x_eval": x_eval, "logits": logits.numpy(), "accuracy": acc, "stats": stats,
            "exported_name": exported_name, "n": len(y_eval)}


# --------------------------------------------------------------------------------------------
# verification with onnxruntime-node (the runtime the extension uses)
# --------------------------------------------------------------------------------------------

NODE_CHECK = r"""
const fs = require('node:fs');
const ort = require('onnxruntime-node');
const job = JSON.parse(fs.readFileSync(process.argv[1], 'utf8'));
function load(f) {
  const b = fs.readFileSync(f.file);
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  const data = f.dtype === 'int64' ? new BigInt64Array(ab) : new Float32Array(ab);
  return new ort.Tensor(f.dtype, data, f.shape);
}
(async () => {
  const report = { ortVersion: ort.env.versions.common, cases: [], tokenizer: null };
  for (const c of job.cases) {
    const session = await ort.InferenceSession.create(c.model, { graphOptimizationLevel: 'disabled' });
    const feeds = {};
    for (const [name, f] of Object.entries(c.feeds)) feeds[name] = load(f);
    const result = await session.run(feeds);
    const out = result[c.output];
    fs.writeFileSync(c.result, Buffer.from(new Float32Array(out.data).buffer));
    report.cases.push({ name: c.name, dims: out.dims.map(Number), inputs: session.inputNames });
    await session.release();
  }
  if (job.tokenizer) {
    const { Tokenizer } = require('@huggingface/tokenizers');
    const tok = new Tokenizer(JSON.parse(fs.readFileSync(job.tokenizer.json, 'utf8')), { unk_token: '[UNK]' });
    let mismatches = 0; let first = null; let rows = 0;
    for (const line of fs.readFileSync(job.tokenizer.data, 'utf8').split('\n')) {
      if (!line) continue;
      const row = JSON.parse(line); rows++;
      const ids = tok.encode(row.text).ids.map(Number);
      if (JSON.stringify(ids) !== JSON.stringify(row.ids)) { mismatches++; first = first ?? { text: row.text, ids, expected: row.ids }; }
    }
    report.tokenizer = { rows, mismatches, first };
  }
  process.stdout.write(JSON.stringify(report));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def node_verify(out: str, income: dict, transformer: dict, shapes: dict, fails: Failures) -> str | None:
    """Run the exported models with onnxruntime-node and compare with PyTorch's logits.
    Returns the onnxruntime version used, or None when the check was skipped."""
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(REPO, "node_modules", "onnxruntime-node")):
        print("  WARNING: node or node_modules/onnxruntime-node missing; onnxruntime check skipped")
        return None
    tmp = tempfile.mkdtemp(prefix="make-examples-")
    try:
        cases, expected = [], {}

        def add(name: str, model: str, feeds: dict[str, np.ndarray], want: np.ndarray) -> None:
            spec = {}
            for k, arr in feeds.items():
                f = os.path.join(tmp, f"{name}-{k}.bin")
                arr.tofile(f)
                spec[k] = {"file": f, "dtype": "int64" if arr.dtype == np.int64 else "float32",
                           "shape": list(arr.shape)}
            cases.append({"name": name, "model": os.path.join(out, model), "feeds": spec, "output": "logits",
                          "result": os.path.join(tmp, f"{name}-out.bin")})
            expected[name] = want.astype(np.float32)

        add("income", "income-mlp.onnx", {"features": income["x_eval"]}, income["logits"])
        add("shapes", "shapes-cnn.onnx", {"image": shapes["x_eval"]}, shapes["logits"])
        model, eval_ids = transformer["model"], transformer["eval_ids"]
        # Several sequence lengths (dynamic axis) and batch sizes, including padding to MAX_LEN.
        for name, rows, length in [("text-T-batchmax", eval_ids[:200], None),
                                   ("text-T64", eval_ids[:50], MAX_LEN),
                                   ("text-single", eval_ids[3:4], None),
                                   ("text-T31", eval_ids[100:140], 31)]:
            ids, mask = pad_batch(rows, length)
            with torch.no_grad():
                want = model(ids, mask).numpy()
            add(name, "tiny-transformer.onnx", {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}, want)
        job = {"cases": cases, "tokenizer": {"json": os.path.join(out, "tokenizer.json"),
                                             "data": os.path.join(out, "comments.jsonl")}}
        job_path = os.path.join(tmp, "job.json")
        write_json(job_path, job)
        proc = subprocess.run([node, "-e", NODE_CHECK, job_path], cwd=REPO, capture_output=True, text=True,
                              timeout=300)
        if proc.returncode != 0:
            fails.check(False, f"onnxruntime-node check ran: {proc.stderr.strip()[-500:]}")
            return None
        report = json.loads(proc.stdout)
        for case in report["cases"]:
            got = np.fromfile(os.path.join(tmp, f"{case['name']}-out.bin"), dtype=np.float32)
            want = expected[case["name"]]
            diff = float(np.abs(got.reshape(want.shape) - want).max()) if got.size == want.size else math.inf
            fails.check(diff < 1e-4 and case["dims"] == list(want.shape),
                        f"onnxruntime-node {case['name']}: dims {case['dims']}, max |ORT - torch| = {diff:.2e}")
        tok = report["tokenizer"]
        fails.check(tok["mismatches"] == 0,
                    f"tokenizer.json (@huggingface/tokenizers) reproduces ids of {tok['rows']} rows "
                    f"({tok['mismatches']} mismatches{'' if tok['first'] is None else ', e.g. ' + json.dumps(tok['first'])})")
        return str(report["ortVersion"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# README with the measured numbers
# --------------------------------------------------------------------------------------------

def readme(income: dict, text: dict, shapes: dict, ort_version: str | None) -> str:
    o = income["overall"]
    sl = income["slice"]
    fb = income["by_inter"]["F&B"]
    rows_i = "\n".join(
        f"| {k} | {v['count']} | {fmt_pct(v['accuracy'])} | {fmt_pct(v['tpr'])} | {fmt_pct(v['fpr'])} |"
        for k, v in [*(("sex=" + s, r) for s, r in income["by_sex"].items()),
                     *(("race=" + s, r) for s, r in income["by_race"].items()),
                     *(("sex&race=" + s, r) for s, r in income["by_inter"].items())])
    rows_t = "\n".join(
        f"| {g} | {r['count']} | {fmt_pct(r['accuracy'])} | {fmt_pct(r['tpr'])} | {fmt_pct(r['fpr'])} | {r['negatives']} |"
        for g, r in text["groups"].items())
    sa, sb = shapes["stats"]["scanner_a"], shapes["stats"]["scanner_b"]
    rows_s = "\n".join(
        f"| {g} | {s['count']} | {fmt_pct(s['accuracy'])} | {s['var_mean']:.4f} | {s['vhat_mean']:.3f} | "
        f"{fmt_pct(s['low_share'])} |" for g, s in shapes["stats"].items())
    verified = (f"onnxruntime-node {ort_version} reproduces PyTorch's logits within 1e-4 on every file "
                "(the transformer at several batch sizes and sequence lengths up to 64; onnx 1.12 has no "
                "reference evaluator, so onnx.checker plus this cross-check is the export's validation)"
                if ort_version else "the onnxruntime-node cross-check was skipped on the last run")
    return f"""# Demo workspace

Three small real models, trained and exported (ONNX opset {OPSET}, single files, no external data)
by `/usr/bin/python3 scripts/make-examples.py` (PyTorch, fully seeded; a rerun rewrites these
files and this README with the numbers below). Each has evaluation data, an analysis spec
(`*.bias.json`, paths relative to the spec) and a **planted bias** that the script measures and
asserts: it exits non-zero if an effect is missing. All numbers are on the evaluation files in
this folder; {verified}.

## income-mlp: tabular classifier with an intersectional gap

- Files: `income-mlp.onnx`, `income.csv` ({o['count']} rows), `income-mlp.bias.json`,
  `income-predictions.csv` (id, label, sex, race, region, device, score = P(y=1), pred; for
  `groups --predictions`).
- Model: MLP 6→32→32→2 (feature standardisation inside the graph). Input `features`
  float32 [batch, 6] = {", ".join(INCOME_FEATURES)}
  (raw units: years, hours/week, capital gain in k$); output `logits` float32 [batch, 2]
  (class 1 = high income). The model never sees `sex` or `race`.
- Data: synthetic census-like rows; sex F/M (50/50), race A/B/C (60/20/20). The label is a
  thresholded latent score of education, hours, capital gain, age and experience plus noise,
  except for **sex=F & race=B**, whose score is half that plus a different rule (tenure up,
  hours *down*), which a model that never sees sex or race cannot follow. That intersection
  is also under-represented in training (10% of its natural share: {income['train_fb']} of
  {income['train_rows']} rows); the other intersections differ only in label noise.
- Planted bias (measured): accuracy {fmt_pct(fb['accuracy'])} for sex=F & race=B against
  {fmt_pct(o['accuracy'])} overall, {income['inter_gap'] * 100:.1f} points below; the largest
  single-attribute gap to overall is only {income['single_gap'] * 100:.1f} points ({income['single_group']}).
- Planted **unnamed slice** (for slice discovery, FORMULAS.md §E): two metadata columns the model
  never sees and the spec does not name as groups, `region` (N/E/S/W, 30/25/25/20%) and `device`
  (desktop/mobile/tablet, 55/35/10%). The mobile form of region W records hours per *day*, so
  `hours` is a fifth of its true value in exactly the rows with **region = W & device = mobile**.
  Measured: error {fmt_pct(sl['error'])} there (n = {sl['count']}) against {fmt_pct(sl['rest_error'])}
  elsewhere; the worst single metadata value ({sl['worst_single']}) has {fmt_pct(sl['worst_single_error'])}.
  The spec's `slices.columns` lists sex, race, region and device.

| group | n | accuracy | TPR | FPR |
|---|---|---|---|---|
| overall | {o['count']} | {fmt_pct(o['accuracy'])} | {fmt_pct(o['tpr'])} | {fmt_pct(o['fpr'])} |
{rows_i}

## tiny-transformer: text classifier with relative-position attention bias

- Files: `tiny-transformer.onnx`, `comments.jsonl` ({text['overall']['count']} rows),
  `tiny-transformer.bias.json`, `tokenizer.json`.
- Model: 2 layers, 4 heads, d = 32, pre-LayerNorm, masked mean pooling, {text['vocab']}-word
  vocabulary, max length {MAX_LEN}. Attention is written out by hand, so the graph has
  `MatMul(Q,Kᵀ) → Div(√8) → Add(relative bias) → Add(mask) → Softmax → MatMul(·,V)` with
  probabilities [B, 4, T, T] ({text['softmax_count']} Softmax nodes). The **learned relative-position
  bias** is an embedding table per layer indexed by the key-minus-query distance clipped to
  ±{REL_CLIP} and gathered into [4, T, T] inside the graph (no absolute positions: word order reaches the
  model only through this bias). `attention_mask` int64 [B, T] becomes −1e4 on padded keys.
  Inputs `input_ids`, `attention_mask` int64 [batch, sequence] (both axes dynamic); output
  `logits` float32 [batch, 2] (class 1 = toxic).
- Data: short comments from templates (neutral, toxic, and negated "not <insult>" neutral ones),
  with an identity term (`muslim`, `gay`, `black`, `christian`, `straight`, `white`) or none.
  JSONL fields: `text`, `ids` (unpadded, `[CLS]` first), `tokens`, `label`, `identity`
  (`none` or the term), `identity_span` (key position of the identity term, `[]` for none).
  `tokenizer.json` is a HuggingFace WordLevel tokenizer (lowercase, whitespace split, `[PAD]`=0,
  `[UNK]`=1, `[CLS]`=2 prepended) that reproduces `ids` from `text`.
- Planted bias: in training, comments mentioning **muslim** or **gay** were toxic 70% of the
  time (25–30% for the others) and simulated biased annotators labelled 45% of their neutral
  mentions toxic (the labels do the planting: with the co-occurrence skew alone, this model
  learns no FPR gap on these easy templates). The evaluation file has clean template labels
  and 30% toxic for every group.
  Measured: overall accuracy {fmt_pct(text['overall']['accuracy'])}; false-positive rate
  {fmt_pct(text['groups']['muslim']['fpr'])} for identity=muslim and {fmt_pct(text['groups']['gay']['fpr'])} for identity=gay,
  at most {fmt_pct(text['unplanted_fpr'])} for every other group (the templates are easy, so
  nearly every error is the planted one).

| identity | n | accuracy | TPR | FPR | negatives |
|---|---|---|---|---|---|
{rows_t}

## shapes-cnn: CNN whose minority group gets low-feature-diversity inputs

- Files: `shapes-cnn.onnx`, `shapes.npy` (float32 [{shapes['n']}, 1, 16, 16], values in [0, 1]),
  `shapes.csv` (row-aligned: `label` 0–3, `shape` name, `source`), `shapes-cnn.bias.json`.
- Model: 3 conv blocks (3×3 conv + ReLU, max-pool after the first two) → global average
  pooling → Linear to 4 classes (circle, square, triangle, cross). Input `image` float32
  [batch, 1, 16, 16]; output `logits` float32 [batch, 4]. The last conv block's output
  [batch, 32, 4, 4] is the tensor `{FEATURE_TENSOR}` (the exporter called it
  `{shapes['exported_name']}`; the script renames it), named in the spec as `featureTensor`.
- Data: anti-aliased shapes. `source=scanner_a` (~85%): high contrast, varied size and
  position, striped texture, noise. `source=scanner_b` (~15%; 10% of training): smaller, centred,
  low contrast (+0.20..0.35 on a 0.3 grey background), Gaussian-blurred (σ = 0.8), flat.
- Planted bias (measured; variance = unbiased variance of the flattened `{FEATURE_TENSOR}` per
  sample, v̂ min–max normalised over this file, low diversity = v̂ ≤ 0.1, FORMULAS.md A.4):
  overall accuracy {fmt_pct(shapes['accuracy'])}; accuracy {fmt_pct(sb['accuracy'])} for scanner_b
  against {fmt_pct(sa['accuracy'])} for scanner_a; mean feature variance {sb['var_mean']:.4f}
  against {sa['var_mean']:.4f}.

| source | n | accuracy | mean Var(f) | mean v̂ | low-diversity share |
|---|---|---|---|---|---|
{rows_s}

## Regenerating

`/usr/bin/python3 scripts/make-examples.py` (about 30 s on 2 cores; `--out DIR` writes
elsewhere, `--skip-node-check` skips the onnxruntime-node cross-check). With the same PyTorch
build the outputs are byte-identical; another PyTorch version may train slightly different
weights, which is why the script re-measures every planted effect and fails if one is gone.
`test/unit/examples` checks the committed files (`node scripts/run-unit-tests.mjs unit/examples`).
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(REPO, "examples"), help="output folder")
    parser.add_argument("--skip-node-check", action="store_true", help="do not run the onnxruntime-node check")
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)  # determinism, and the machine is shared
    started = time.time()
    fails = Failures()
    income = make_income(out, fails)
    text = make_transformer(out, fails)
    shapes = make_shapes(out, fails)
    ort_version = None
    if not args.skip_node_check:
        print("== onnxruntime-node cross-check")
        ort_version = node_verify(out, income, text, shapes, fails)
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as f:
        f.write(readme(income, text, shapes, ort_version))
    sizes = {name: os.path.getsize(os.path.join(out, name)) for name in sorted(os.listdir(out))}
    print("== files")
    for name, size in sizes.items():
        print(f"  {name:28s} {size / 1024:8.1f} KiB")
    print(f"== done in {time.time() - started:.1f} s")
    if fails.items:
        print(f"FAILED: {len(fails.items)} planted effect(s) or check(s) missing:", file=sys.stderr)
        for item in fails.items:
            print(f"  - {item}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
