#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes tests/golden/multiemo/: what the authors' own MultiEMO code computes, for
tests/test_multiemo_parity.cpp.

    /usr/bin/python3 tests/golden/make_multiemo_golden.py /path/to/MultiEMO

MULTIEMO is a checkout of github:TaoShi1998/MultiEMO. Its classes are imported from there and
run with Debian's python3-torch; none of its code is copied here. For each of MultiEMO's two
forms (MELD: unidirectional DialogueRNN on audio and visual; IEMOCAP: bidirectional DialogueRNN
on all three modalities) a model is built at small dimensions with a fixed seed, and the script
saves:
- the model's state_dict with torch.save (zip format; MELD also in the legacy format);
- a padded batch of three dialogues (one utterance unlabelled) and, on it: the DialogueRNN
  context encoder (all positions, padding included), MultiAttn (all positions), the MLP, the
  whole model in eval mode (the rows MultiEMO keeps), and each dialogue's logits when it is run
  alone (no padding);
- the SWFC and Soft-HGR losses of fixed features, with their gradients;
- the whole model's loss parts and gradients on the batch, and the parameters after one Adam
  step with weight decay from those gradients (all as state_dict-like .pt files);
- three epochs of training (dropout 0) on ten dialogues in fixed batches: every step's loss
  parts, from a saved initial state;
- ReduceLROnPlateau (MultiEMO's factor 0.95, patience 10, threshold 1e-6) on a loss sequence;
- the validation dialogues TrainMultiEMO.py draws (numpy seeded 2023) for three training sizes;
- files for the reader's tests (reader_*.pt): a nested checkpoint dict with non-contiguous
  tensors, a whole pickled module (to be refused), a state_dict with one wrong shape.
Everything is float32, as MultiEMO runs. The output is committed."""
import collections
import json
import os
import subprocess
import sys

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence

if len(sys.argv) != 2:
    sys.exit(__doc__)
CHECKOUT = os.path.abspath(sys.argv[1])
for sub in ("Model", "Loss"):
    sys.path.insert(0, os.path.join(CHECKOUT, sub))
from MultiEMO_Model import MultiEMO  # noqa: E402
from SampleWeightedFocalContrastiveLoss import SampleWeightedFocalContrastiveLoss  # noqa: E402
from SoftHGRLoss import SoftHGRLoss  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "multiemo")
os.makedirs(OUT, exist_ok=True)
torch.set_num_threads(1)

D, HEADS, LAYERS = 8, 2, 2
DIM_T, DIM_A, DIM_V = 6, 5, 4
FORMS = {
    # MultiEMO's per-dataset loss settings (Train/TrainMultiEMO_*.sh and the option defaults)
    "meld": dict(dataset="MELD", classes=7, parties=3, mlp_hidden=2 * D, temp=1.4, focus=2.0, sample_weight=1.2,
                 w_swfc=0.3, w_hgr=0.3, w_ce=0.4),
    "iemocap": dict(dataset="IEMOCAP", classes=6, parties=2, mlp_hidden=D, temp=0.8, focus=2.4, sample_weight=1.1,
                    w_swfc=0.4, w_hgr=0.4, w_ce=0.2),
}


def build(form, seed):
    f = FORMS[form]
    torch.manual_seed(seed)
    # MultiEMO(dataset, multi_attn_flag, roberta_dim, hidden_dim, dropout, num_layers, model_dim, num_heads,
    #          D_m_audio, D_m_visual, D_g, D_p, D_e, D_h, n_classes, n_speakers, listener_state,
    #          context_attention, D_a, dropout_rec, device), as Train/TrainMultiEMO.py calls it
    return MultiEMO(f["dataset"], True, DIM_T, 4 * D, 0.0, LAYERS, D, HEADS, DIM_A, DIM_V, D, D, D, D,
                    f["classes"], f["parties"], False, "simple", D, 0.0, "cpu")


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def make_dialogues(gen, lengths, form, unlabelled=()):
    """Dialogues as MultiEMO's Dataset.__getitem__ returns them (one-hot speakers, all-ones umask)."""
    f = FORMS[form]
    dialogues = []
    for k, n in enumerate(lengths):
        party = torch.randint(0, f["parties"], (n,), generator=gen)
        label = torch.randint(0, f["classes"], (n,), generator=gen)
        for (dk, pos) in unlabelled:
            if dk == k:
                label[pos] = -1
        dialogues.append(dict(text=torch.randn(n, DIM_T, generator=gen), audio=torch.randn(n, DIM_A, generator=gen),
                              visual=torch.randn(n, DIM_V, generator=gen), party=party, label=label))
    return dialogues


def collate(dialogues, form):
    """MultiEMO's collate_fn (Dataset/*Dataset.py) without pandas: time-major features and speaker
    masks padded with 0, batch-first utterance masks (0) and labels (-1)."""
    parties = FORMS[form]["parties"]
    texts = pad_sequence([d["text"] for d in dialogues])
    audios = pad_sequence([d["audio"] for d in dialogues])
    visuals = pad_sequence([d["visual"] for d in dialogues])
    speakers = pad_sequence([torch.nn.functional.one_hot(d["party"], parties).float() for d in dialogues])
    umask = pad_sequence([torch.ones(len(d["label"])) for d in dialogues], True, 0)
    labels = pad_sequence([d["label"] for d in dialogues], True, -1)
    return texts, audios, visuals, speakers, umask, labels


def dialogues_json(dialogues):
    return [dict(text=flat(d["text"]), audio=flat(d["audio"]), visual=flat(d["visual"]),
                 party=d["party"].tolist(), label=d["label"].tolist()) for d in dialogues]


def losses(form, class_counts):
    f = FORMS[form]
    swfc = SampleWeightedFocalContrastiveLoss(f["temp"], f["focus"], f["sample_weight"], f["dataset"], class_counts, "cpu")
    return swfc, SoftHGRLoss(), torch.nn.CrossEntropyLoss()


def objective(model, batch, form, class_counts):
    f = FORMS[form]
    swfc, hgr, ce = losses(form, class_counts)
    padded_labels = batch[5].reshape(-1)
    labels = padded_labels[padded_labels != -1]
    ft, fa, fv, fc, logits = model(*batch[:5], padded_labels)
    parts = dict(hgr=hgr(ft, fa, fv), swfc=swfc(fc, labels), ce=ce(logits, labels))
    parts["total"] = parts["hgr"] * f["w_hgr"] + parts["swfc"] * f["w_swfc"] + parts["ce"] * f["w_ce"]
    return parts


def counts_of(dialogues, classes):
    labels = torch.cat([d["label"] for d in dialogues])
    return torch.bincount(labels[labels != -1], minlength=classes).float()


def grads_dict(model):
    return {k: p.grad.detach().clone() for k, p in model.named_parameters() if p.grad is not None}


def golden_form(form):
    f = FORMS[form]
    gen = torch.Generator().manual_seed(20261202 + len(form))
    model = build(form, 2023)
    model.eval()
    torch.save(model.state_dict(), os.path.join(OUT, form + "_state.pt"))
    if form == "meld":
        torch.save(model.state_dict(), os.path.join(OUT, form + "_state_legacy.pt"), _use_new_zipfile_serialization=False)
    out = dict(config=dict(d=D, heads=HEADS, fusion_layers=LAYERS, dim_text=DIM_T, dim_audio=DIM_A, dim_visual=DIM_V,
                           num_classes=f["classes"], parties=f["parties"], mlp_hidden=f["mlp_hidden"],
                           tau=f["temp"], gamma=f["focus"], alpha=f["sample_weight"],
                           weight_ce=f["w_ce"], weight_swfc=f["w_swfc"], weight_hgr=f["w_hgr"]))
    lengths = [5, 3, 4]
    dialogues = make_dialogues(gen, lengths, form, unlabelled=[(2, 1)])
    batch = collate(dialogues, form)
    texts, audios, visuals, speakers, umask, labels = batch
    out["batch"] = dict(lengths=lengths, dialogues=dialogues_json(dialogues))
    with torch.no_grad():
        # DialogueRNN context encoder (the audio one), on the projected audio, every position
        x = model.audio_fc(audios)
        out["dialoguernn"] = dict(input=flat(x), output=flat(model.audio_dialoguernn(x, speakers, umask)))
        # MultiAttn on fixed [B, T, d] inputs (MultiEMO's layout), every position
        t_in, a_in, v_in = (torch.randn(len(lengths), max(lengths), D, generator=gen) for _ in range(3))
        ft, fa, fv = model.multiattn(t_in, a_in, v_in)
        alone = []
        for b, n in enumerate(lengths):
            at, aa, av = model.multiattn(t_in[b:b + 1, :n], a_in[b:b + 1, :n], v_in[b:b + 1, :n])
            alone.append(dict(text=flat(at), audio=flat(aa), visual=flat(av)))
        out["multiattn"] = dict(text=flat(t_in), audio=flat(a_in), visual=flat(v_in),
                                out_text=flat(ft), out_audio=flat(fa), out_visual=flat(fv), alone=alone)
        # the MLP
        mx = torch.randn(7, D, generator=gen)
        out["mlp"] = dict(input=flat(mx), output=flat(model.mlp(mx)))
        # the whole model in eval mode: the rows MultiEMO keeps (labelled, batch-major)
        padded_labels = labels.reshape(-1)
        ft, fa, fv, fc, logits = model(texts, audios, visuals, speakers, umask, padded_labels)
        rows = [[b, t] for b in range(len(lengths)) for t in range(max(lengths)) if int(labels[b, t]) != -1]
        alone = []
        for b, n in enumerate(lengths):
            one = collate([dialogues[b]], form)
            one_labels = torch.zeros(1, n, dtype=torch.long).reshape(-1)  # every position, unlabelled one too
            alone.append(flat(model(*one[:5], one_labels)[4]))
        out["model"] = dict(rows=rows, fused_text=flat(ft), fused_audio=flat(fa), fused_visual=flat(fv), fc=flat(fc),
                            logits=flat(logits), alone_logits=alone)
    # SWFC and Soft-HGR with gradients, on fixed features: labels with a class absent, a class
    # with a single sample (no positive pair) and repeated classes
    n = 12
    feats = torch.randn(n, D, generator=gen).requires_grad_(True)
    lab = torch.tensor([0, 1, 1, 2, 0, 3, 1, 0, 2, 2, 4, 1])
    counts = torch.tensor([30.0, 12.0, 7.0, 3.0, 1.0, 5.0, 9.0][:f["classes"]])
    swfc, hgr, _ = losses(form, counts)
    sw = swfc(feats, lab)
    sw.backward()
    h = [torch.randn(n, D, generator=gen).requires_grad_(True) for _ in range(3)]
    hg = hgr(*h)
    hg.backward()
    out["swfc"] = dict(features=flat(feats), labels=lab.tolist(), class_counts=counts.tolist(), loss=float(sw),
                       grad=flat(feats.grad))
    out["soft_hgr"] = dict(inputs=[flat(t) for t in h], loss=float(hg), grads=[flat(t.grad) for t in h])
    # the whole objective's gradient on the batch, and one Adam step with weight decay
    model.train()
    # (every class counted: with a count of 0, MultiEMO's class weights are inf / inf and its SWFC
    # vanishes; model/README.md lists that corner)
    batch_counts = counts
    parts = objective(model, batch, form, batch_counts)
    model.zero_grad()
    parts["total"].backward()
    torch.save(grads_dict(model), os.path.join(OUT, form + "_grads.pt"))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    opt.step()
    torch.save(model.state_dict(), os.path.join(OUT, form + "_after_adam.pt"))
    out["objective"] = dict(class_counts=batch_counts.tolist(), **{k: float(v) for k, v in parts.items()},
                            adam=dict(lr=1e-3, weight_decay=1e-5))
    out["training"] = training(form)
    return out


def training(form):
    """Three epochs, MultiEMO's train step (zero_grad, forward, the three losses, backward, Adam
    step), dropout 0, on fixed batches in a fixed order; class counts from the training dialogues
    as TrainMultiEMO.get_class_counts takes them."""
    f = FORMS[form]
    gen = torch.Generator().manual_seed(7 + len(form))
    lengths = [4, 2, 6, 3, 5, 2, 4, 3, 6, 5]
    dialogues = make_dialogues(gen, lengths, form)
    model = build(form, 99)
    torch.save(model.state_dict(), os.path.join(OUT, form + "_train_init.pt"))
    counts = counts_of(dialogues, f["classes"])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    orders = [[3, 7, 0, 9, 1, 5, 8, 2, 6, 4], [6, 1, 8, 4, 0, 2, 9, 5, 3, 7], [2, 9, 5, 7, 4, 8, 1, 0, 6, 3]]
    batches = [[order[i:i + 4] for i in range(0, len(order), 4)] for order in orders]
    steps = []
    model.train()
    for epoch in batches:
        for ids in epoch:
            opt.zero_grad()
            parts = objective(model, collate([dialogues[i] for i in ids], form), form, counts)
            parts["total"].backward()
            opt.step()
            steps.append({k: float(v) for k, v in parts.items()})
    model.eval()
    with torch.no_grad():
        probe = collate(dialogues[:3], form)
        final = model(*probe[:5], probe[5].reshape(-1))[4]
    return dict(dialogues=dialogues_json(dialogues), class_counts=counts.tolist(), lr=1e-3, weight_decay=1e-5,
                batches=batches, steps=steps, probe_dialogues=[0, 1, 2], final_logits=flat(final))


def plateau():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([p], lr=1e-4)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.95, patience=10, threshold=1e-6)
    # improvements of 1e-5 relative (kept by threshold 1e-6, not by 1e-4), then stalls, then a
    # negative stretch (Soft-HGR makes MultiEMO's loss negative)
    values, v = [], 2.0
    for i in range(60):
        if i < 15:
            v *= 1 - 1e-5
        elif i < 30:
            pass
        elif i < 40:
            v = -1.0 - 0.5 * (i - 30)
        values.append(v)
    lrs = []
    for v in values:
        sched.step(v)
        lrs.append(opt.param_groups[0]["lr"])
    return dict(factor=0.95, patience=10, threshold=1e-6, values=values, lrs=lrs)


def reader_fixtures():
    """Files for the torch.save reader's own tests: a checkpoint dict that nests a state_dict and
    holds a transposed and a sliced tensor (non-contiguous views of one storage), a float64 and an
    int64 tensor, and a whole pickled module (which must be refused)."""
    t = torch.arange(12.0).reshape(3, 4)
    torch.save({"model": collections.OrderedDict(a=t.t(), b=t[1:, 2:]), "epoch": 3,
                "extra": dict(d=torch.tensor([0.5, -2.0], dtype=torch.float64), i=torch.tensor([[1, -2], [3, 4]]))},
               os.path.join(OUT, "reader_nested.pt"))
    torch.manual_seed(5)
    torch.save(torch.nn.Linear(2, 2), os.path.join(OUT, "reader_whole_module.pt"))
    # small state_dicts in both formats (seeds of tests/fuzz/fuzz_torch_file.cpp)
    small = torch.nn.Linear(3, 2).state_dict()
    torch.save(small, os.path.join(OUT, "reader_small.pt"))
    torch.save(small, os.path.join(OUT, "reader_small_legacy.pt"), _use_new_zipfile_serialization=False)
    # MultiEMO's MELD state_dict with one tensor of the wrong shape (D_g != model_dim)
    sd = torch.load(os.path.join(OUT, "meld_state.pt"))
    sd["audio_dialoguernn.dialog_rnn_f.dialogue_cell.g_cell.weight_hh"] = torch.zeros(3 * D, D + 1)
    torch.save(sd, os.path.join(OUT, "reader_bad_shape.pt"))


def validation():
    """The training dialogues TrainMultiEMO.py holds out: set_seed(2023) seeds numpy, then
    get_train_valid_sampler shuffles the positions 0..n-1 (numpy.random.shuffle) and takes the
    first int(0.05 n). n = 1153 (MultiEMO's MELD trainVid), 120 (IEMOCAP) and a small one."""
    out = []
    for n in (1153, 120, 37):
        np.random.seed(2023)
        idx = list(range(n))
        np.random.shuffle(idx)
        out.append(dict(n=n, fraction=0.05, validation=idx[:int(0.05 * n)]))
    return out


def commit():
    try:
        return subprocess.check_output(["git", "-C", CHECKOUT, "rev-parse", "HEAD"], text=True, stderr=subprocess.DEVNULL).strip()
    except (OSError, subprocess.CalledProcessError):  # an exported tree: say which commit it is
        return os.environ.get("MULTIEMO_COMMIT", "unknown")


golden = dict(torch=torch.__version__, multiemo=commit(), forms={k: golden_form(k) for k in FORMS}, plateau=plateau(), validation=validation())
reader_fixtures()
with open(os.path.join(OUT, "golden.json"), "w") as fh:
    json.dump(golden, fh)
    fh.write("\n")
print("wrote", OUT)
