#!/usr/bin/env python3
"""Reads a bench folder's table2.json (or a table1 folder's table1.json)
back and checks it against the CSV and Markdown written beside it, figure
by figure, as tests/test_json.c asks: exit 0, or 1 with what differs.

    check_json.py table2 DIR
    check_json.py table1 DIR
    check_json.py provenance FILE.json FILE.md COMPILER KERNEL_SET
"""
import csv
import json
import math
import re
import sys

DASH = "\u2014"


def fail(msg):
    print(msg)
    sys.exit(1)


def same(what, got, want):
    if got != want:
        fail(f"{what}: JSON gives {got!r}, the table {want!r}")


def csv_field(v):
    """A CSV field as tables.c writes a fraction: %.6f, empty for NaN."""
    return "" if v is None else f"{v:.6f}"


def p_text(p):
    if p is None:
        return DASH
    return "< 0.0001" if p < 0.0001 else f"{p:.4f}"


def ci_text(e):
    if e["ci_lo"] is None:
        return DASH
    return f"[{e['ci_lo']:+.2f}, {e['ci_hi']:+.2f}]"


def check_summary(row, m):
    s, c = m["summary"], m["config"]
    same(f"{m['model']} params", m["params"], int(row["params"]))
    same(f"{m['model']} lr", c["lr"], float(row["lr"]))
    same(f"{m['model']} bs", c["bs"], int(row["bs"]))
    same(f"{m['model']} epochs", c["epochs"], int(row["epochs"]))
    same(f"{m['model']} rounds", s["rounds"], int(row["rounds"]))
    same(f"{m['model']} diverged", s["diverged"], int(row["diverged"]))
    for k in ("train", "test", "digit", "argmax"):
        for stat in ("mean", "std"):
            key = f"{k}_{stat}"
            same(f"{m['model']} {key}", csv_field(s[key]), row[key])
    if s["rounds"] == 1 and s["test_std"] is not None:
        fail(f"{m['model']}: one round has a test_std {s['test_std']}, not null")


def check_rounds(d, m):
    """Each round's final accuracies are runs.csv's last epoch of it."""
    last = {}
    with open(f"{d}/runs.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["model"] == m["model"]:
                last[int(r["round"])] = r
    same(f"{m['model']} rounds listed", len(m["rounds"]), len(last))
    for r in m["rounds"]:
        row = last[r["round"]]
        same(f"{m['model']} round {r['round']} seed", r["seed"], int(row["seed"]))
        same(f"{m['model']} round {r['round']} epochs", r["epochs"], int(row["epoch"]))
        for k in ("train_acc", "test_acc"):
            same(f"{m['model']} round {r['round']} {k}", csv_field(r[k]), row[k])
    accs = [r["test_acc"] for r in m["rounds"] if not r["diverged"]]
    if accs and abs(sum(accs) / len(accs) - m["summary"]["test_mean"]) > 1e-12:
        fail(f"{m['model']}: the mean of its rounds is not its test_mean")


def check_effects(d, j):
    md = open(f"{d}/table2.md", encoding="utf-8").read()
    sec = md.split("## Paired effects", 1)[1] if "## Paired effects" in md else ""
    lines = [l for l in sec.split("\n## ", 1)[0].splitlines() if l.startswith("|")][2:]
    same("effects count", len(j["effects"]), len(lines))
    for e, line in zip(j["effects"], lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        want = [e["what"], f"{e['a']} \u2212 {e['b']}", str(e["n"]), f"{e['mean']:+.2f}",
                ci_text(e), p_text(e["p_t"]), p_text(e["p_t_holm"]), p_text(e["p_wilcoxon"]),
                p_text(e["p_wilcoxon_holm"]),
                f"{e['n_a_better']} / {e['n_b_better']} / {e['n_tie']}"]
        same(f"effect {e['what']}", want, cells)


def check_table2(d):
    j = json.load(open(f"{d}/table2.json", encoding="utf-8"))
    same("schema", j["schema"], "pairnet.table2/1")
    with open(f"{d}/table2.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    same("models", [m["model"] for m in j["models"]], [r["model"] for r in rows])
    for row, m in zip(rows, j["models"]):
        check_summary(row, m)
        check_rounds(d, m)
    check_effects(d, j)
    if not j["effects"]:
        fail("no paired effect in table2.json")
    print(json.dumps(j["provenance"]))


def check_table1(d):
    j = json.load(open(f"{d}/table1.json", encoding="utf-8"))
    same("schema", j["schema"], "pairnet.table1/1")
    with open(f"{d}/table1.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    cells = [(m["model"], c) for m in j["models"] for c in m["cells"]]
    same("cells", len(cells), len(rows))
    for (model, c), row in zip(cells, rows):
        what = f"{model} {c['set']} lr {c['lr']} bs {c['bs']}"
        same(f"{what} model", model, row["model"])
        same(f"{what} set", c["set"], row["set"])
        same(f"{what} lr", c["lr"], float(row["lr"]))
        same(f"{what} bs", c["bs"], int(row["bs"]))
        for k in ("epochs", "rounds", "diverged"):
            same(f"{what} {k}", c[k], int(row[k]))
        for k in ("test_mean", "test_std"):
            got = c[k]
            if (got is None) != (row[k] == ""):
                fail(f"{what} {k}: JSON {got!r}, CSV {row[k]!r}")
            if got is not None and not math.isclose(got, float(row[k]), abs_tol=5e-7):
                fail(f"{what} {k}: JSON {got!r}, CSV {row[k]!r}")
        for k in ("chosen_on_validation", "chosen_on_test", "study_choice"):
            same(f"{what} {k}", c[k], row[k] == "1")
    print(json.dumps(j["provenance"]))


def cpuinfo():
    """vendor_id, cpu family and model of the first CPU, None where absent."""
    got = {"vendor_id": None, "cpu family": None, "model": None}
    try:
        text = open("/proc/cpuinfo", encoding="utf-8", errors="replace").read()
    except OSError:
        return got
    for line in text.split("\n\n")[0].splitlines():
        key, _, value = line.partition(":")
        if key.strip() in got:
            got[key.strip()] = " ".join(value.split())
    return got


def official_md5():
    """name -> md5 of the .gz files, as scripts/get-mnist.sh checks them."""
    text = open("scripts/get-mnist.sh", encoding="utf-8").read()
    return dict(re.findall(r'"([a-z0-9-]+\.gz) ([0-9a-f]{32})"', text))


def md_line(md, label):
    """The value of the provenance line "- label: value" of a table's Markdown."""
    m = re.search(r"^- " + re.escape(label) + r": (.*)$", md, re.M)
    if not m:
        fail(f"no '- {label}:' line in the Markdown provenance")
    return m.group(1)


def check_provenance(json_path, md_path, compiler, kernel_set):
    p = json.load(open(json_path, encoding="utf-8"))["provenance"]
    md = open(md_path, encoding="utf-8").read()
    same("compiler", p["compiler"], compiler)
    same("compiler in the Markdown", md_line(md, "compiler"), compiler)
    same("kernel set", p["kernel_set"], kernel_set)
    same("kernel set in the Markdown", md_line(md, "kernel set"), kernel_set)
    if "-ffp-contract=off" not in (p["flags"] or ""):
        fail(f"flags {p['flags']!r} lack the build's -ffp-contract=off")
    same("flags in the Markdown", md_line(md, "flags"), p["flags"])
    cpu = cpuinfo()
    same("cpu vendor", p["cpu"]["vendor"], cpu["vendor_id"])
    for key, name in (("family", "cpu family"), ("model", "model")):
        want = int(cpu[name]) if cpu[name] and cpu[name].isdigit() else None
        same(f"cpu {key}", p["cpu"][key], want)
    if cpu["cpu family"] and f"family {cpu['cpu family']}, model {cpu['model']}" not in md_line(
            md, "machine"):
        fail(f"the machine line does not name family and model: {md_line(md, 'machine')}")
    files = p["mnist"]
    same("MNIST files", len(files), 4)
    official = official_md5()
    line = md_line(md, "MNIST files (md5)")
    for f in files:
        if f["file"].endswith(".gz"):
            same(f"md5 of {f['file']}", f["md5"], official.get(f["file"]))
        if f"{f['file']} {f['md5']}" not in line:
            fail(f"the Markdown's MNIST line lacks {f['file']} {f['md5']}: {line}")


if __name__ == "__main__":
    if sys.argv[1] == "provenance":
        check_provenance(*sys.argv[2:6])
    else:
        {"table2": check_table2, "table1": check_table1}[sys.argv[1]](sys.argv[2])
