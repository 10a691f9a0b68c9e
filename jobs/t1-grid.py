#!/usr/bin/env python3
"""jobs/t1-grid.py — the measured first-stage length T₁ of a `jobs/experiment.sh t1-grid` sweep
against Huang et al.'s predictions (Lemma 5.2, single-modal; Lemma 5.4, multi-modal).

Measured T₁ is the first logged step at which the run's column reaches 1: noise memorization
(mean_i max_r ρ_r,i) for single-modal, signal learning (max_r γ_r) for multi-modal (the other
mode's crossing of the same column is written too). The resolution is the run's log_every
(t1-grid logs every step); a run that never reaches 1 is censored (empty cell, `> steps`).
The predictions are read from each point's summary.json (`t1_predicted`, written since issue 23)
and otherwise computed here from the same formulas (HuangAssumptions.swift).

Writes <sweep>/t1.csv (one row per grid point and seed), <sweep>/t1-summary.csv (mean ± s.d. over
seeds per grid point) and <sweep>/t1-scatter.svg (measured against predicted, log-log, y = x).
Usage: jobs/t1-grid.py SWEEP_DIR
"""
import csv, json, math, os, statistics, sys

KEYS = {"tau": "loss.temperature", "eta": "optimizer.learning_rate", "sigma0": "encoder.init_scale"}


def predicted(cfg):
    """Lemma 5.2 / 5.4 from a point's config.json (the forms of HuangAssumptions.swift)."""
    sn = cfg["signal_noise"]
    n, d, m = cfg["train_samples"], sn["d"], cfg["encoder"]["width"]
    tau, eta, s0 = cfg["loss"]["temperature"], cfg["optimizer"]["learning_rate"], cfg["encoder"]["init_scale"]
    sx = sn["sigma_p"]
    mu = sn["snr"] * sx * math.sqrt(d) if sn.get("snr", 0) > 0 else sn["signal_norm"]
    cmu = sn["text_signal_norm"] / mu
    single = math.log(20 / (s0 * sx * math.sqrt(d))) / math.log1p(0.96 * eta * sx * sx * d / (n * m * tau))
    multi = math.log(20 / (s0 * mu)) / math.log1p(0.48 * cmu * eta * mu * mu / (m * tau))
    return single, multi


def crossing(path, column):
    """(first step with column >= 1 or None, last step logged, log interval)."""
    steps, first = [], None
    with open(path) as f:
        for row in csv.DictReader(f):
            if row.get(column, "") == "":
                continue
            s = int(float(row["step"]))
            steps.append(s)
            if first is None and float(row[column]) >= 1:
                first = s
    interval = min((b - a for a, b in zip(steps, steps[1:])), default=0)
    return first, (steps[-1] if steps else 0), interval


def main(sweep):
    index = json.load(open(os.path.join(sweep, "sweep.json")))
    runs = {}  # (tau, eta, sigma0, seed) -> {mode: (folder, values)}
    for p in index["points"]:
        v = p["values"]
        key = tuple(v.get(KEYS[k]) for k in ("tau", "eta", "sigma0")) + (v.get("seed"),)
        runs.setdefault(key, {})[v["mode"]] = os.path.join(sweep, p["folder"])
    rows = []
    for key in sorted(runs, key=lambda k: tuple(x if x is not None else -1 for x in k)):
        folders = runs[key]
        done = lambda f: os.path.exists(os.path.join(f, "summary.json"))
        if set(folders) != {"single-modal", "multi-modal"} or not all(map(done, folders.values())):
            continue  # a point without both finished runs (still running, or failed)
        row = dict(zip(("tau", "eta", "sigma0", "seed"), key))
        cfg_path = os.path.join(folders["multi-modal"], "config.json")
        cfg = json.load(open(cfg_path)) if os.path.exists(cfg_path) else None
        summary = json.load(open(os.path.join(folders["multi-modal"], "summary.json")))
        if "t1_predicted" in summary:
            row["predicted_single"] = summary["t1_predicted"]["single_modal"]
            row["predicted_multi"] = summary["t1_predicted"]["multi_modal"]
        else:
            row["predicted_single"], row["predicted_multi"] = predicted(cfg)
        for mode, short in (("single-modal", "single"), ("multi-modal", "multi")):
            metrics = os.path.join(folders[mode], "metrics.csv")
            for col, name in (("noise_memorization", "rho"), ("signal_learning", "gamma")):
                first, last, interval = crossing(metrics, col)
                row[f"{short}_{name}_step"] = first
            row[f"{short}_steps"], row["log_every"] = last, interval
        row["measured_single"] = row["single_rho_step"]
        row["measured_multi"] = row["multi_gamma_step"]
        rows.append(row)
    # Number the grid points (τ, η, σ₀) in order.
    points = sorted({(r["tau"], r["eta"], r["sigma0"]) for r in rows})
    for r in rows:
        r["point"] = points.index((r["tau"], r["eta"], r["sigma0"])) + 1
    cols = ["point", "tau", "eta", "sigma0", "seed", "predicted_single", "predicted_multi",
            "measured_single", "measured_multi", "single_gamma_step", "multi_rho_step",
            "single_steps", "multi_steps", "log_every"]
    with open(os.path.join(sweep, "t1.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in sorted(rows, key=lambda r: (r["point"], r["seed"] or 0)):
            w.writerow({k: ("" if r.get(k) is None else r[k]) for k in cols})
    # Over seeds: mean ± s.d. of the measured steps (censored seeds counted apart).
    summary_rows = []
    for i, (tau, eta, s0) in enumerate(points, 1):
        group = [r for r in rows if r["point"] == i]
        out = {"point": i, "tau": tau, "eta": eta, "sigma0": s0, "seeds": len(group),
               "predicted_single": group[0]["predicted_single"], "predicted_multi": group[0]["predicted_multi"]}
        for short in ("single", "multi"):
            vals = [r[f"measured_{short}"] for r in group if r[f"measured_{short}"] is not None]
            out[f"measured_{short}"] = statistics.mean(vals) if vals else ""
            out[f"measured_{short}_sd"] = statistics.stdev(vals) if len(vals) > 1 else ""
            out[f"censored_{short}"] = len(group) - len(vals)
            out[f"ratio_{short}"] = (out[f"measured_{short}"] / out[f"predicted_{short}"]) if vals else ""
        summary_rows.append(out)
    scols = ["point", "tau", "eta", "sigma0", "seeds", "predicted_single", "predicted_multi",
             "measured_single", "measured_single_sd", "censored_single", "ratio_single",
             "measured_multi", "measured_multi_sd", "censored_multi", "ratio_multi"]
    with open(os.path.join(sweep, "t1-summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=scols)
        w.writeheader()
        w.writerows(summary_rows)
    scatter(os.path.join(sweep, "t1-scatter.svg"), summary_rows, rows)
    print(f"{len(rows)} runs over {len(points)} grid points; log interval {rows[0]['log_every'] if rows else '?'} step(s)")
    print("wrote t1.csv, t1-summary.csv, t1-scatter.svg in", sweep)


def scatter(path, summary_rows, rows):
    """Measured against predicted T₁, log-log, both modes, mean over seeds with ±1 s.d. bars; y = x dashed."""
    W, H, L, R, T, B = 560, 460, 70, 150, 40, 50
    pts = []
    for r in summary_rows:
        for short, color in (("single", "#d62728"), ("multi", "#1f77b4")):
            if r[f"measured_{short}"] != "":
                sd = r[f"measured_{short}_sd"] or 0
                pts.append((r[f"predicted_{short}"], r[f"measured_{short}"], sd, color))
    vals = [v for p in pts for v in (p[0], p[1])] or [1, 10]
    lo = 10 ** math.floor(math.log10(min(vals) * 0.8))
    hi = 10 ** math.ceil(math.log10(max(vals) * 1.2))
    lx = lambda v: L + (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (W - L - R)
    ly = lambda v: H - B - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (H - T - B)
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif">',
         '<rect width="100%" height="100%" fill="#fff"/>',
         f'<text x="12" y="24" font-size="15" font-weight="bold">Measured vs predicted T₁ (Huang et al., Lemmas 5.2, 5.4)</text>',
         f'<rect x="{L}" y="{T}" width="{W-L-R}" height="{H-T-B}" fill="none" stroke="#888"/>']
    d = lo
    while d <= hi:
        for k in (1, 2, 5):
            v = d * k
            if lo <= v <= hi:
                s.append(f'<line x1="{lx(v):.1f}" y1="{T}" x2="{lx(v):.1f}" y2="{H-B}" stroke="#eee"/>')
                s.append(f'<line x1="{L}" y1="{ly(v):.1f}" x2="{W-R}" y2="{ly(v):.1f}" stroke="#eee"/>')
                s.append(f'<text x="{lx(v):.1f}" y="{H-B+16}" font-size="11" text-anchor="middle">{v:g}</text>')
                s.append(f'<text x="{L-6}" y="{ly(v)+4:.1f}" font-size="11" text-anchor="end">{v:g}</text>')
        d *= 10
    s.append(f'<line x1="{lx(lo):.1f}" y1="{ly(lo):.1f}" x2="{lx(hi):.1f}" y2="{ly(hi):.1f}" stroke="#666" stroke-dasharray="6 4"/>')
    for x, y, sd, c in pts:
        if sd:
            s.append(f'<line x1="{lx(x):.1f}" y1="{ly(max(y-sd, lo)):.1f}" x2="{lx(x):.1f}" y2="{ly(min(y+sd, hi)):.1f}" stroke="{c}"/>')
        s.append(f'<circle cx="{lx(x):.1f}" cy="{ly(y):.1f}" r="4" fill="{c}" fill-opacity="0.8"/>')
    s.append(f'<text x="{(L+W-R)/2}" y="{H-12}" font-size="12" text-anchor="middle">predicted T₁ (steps)</text>')
    s.append(f'<text x="16" y="{(T+H-B)/2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 {(T+H-B)/2})">measured T₁ (steps, mean ± 1σ over seeds)</text>')
    for i, (name, c) in enumerate((("single-modal (ρ = 1)", "#d62728"), ("multi-modal (γ = 1)", "#1f77b4"))):
        s.append(f'<circle cx="{W-R+16}" cy="{T+12+i*18}" r="4" fill="{c}"/><text x="{W-R+26}" y="{T+16+i*18}" font-size="11">{name}</text>')
    s.append(f'<line x1="{W-R+8}" y1="{T+48}" x2="{W-R+24}" y2="{T+48}" stroke="#666" stroke-dasharray="6 4"/><text x="{W-R+26}" y="{T+52}" font-size="11">measured = predicted</text>')
    s.append("</svg>")
    open(path, "w").write("\n".join(s) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
