#!/usr/bin/env python3
"""jobs/cmu-sweep.py — the table of a `jobs/experiment.sh cmu-sweep` sweep: out-of-distribution
test accuracy of multi-modal and single-modal runs, and their gap (multi − single, per seed),
against C_μ = ‖μ̃‖/‖μ‖ (text signal norm over image signal norm), mean ± 1 s.d. over seeds.

Writes <sweep>/cmu.csv and prints the table as Markdown. Usage: jobs/cmu-sweep.py SWEEP_DIR
"""
import csv, json, math, os, statistics, sys

TEXT = "signal_noise.text_signal_norm"


def main(sweep):
    index = json.load(open(os.path.join(sweep, "sweep.json")))
    acc = {}  # text norm -> mode -> seed -> (test, train)
    mu = None
    for p in index["points"]:
        v = p["values"]
        folder = os.path.join(sweep, p["folder"])
        s = json.load(open(os.path.join(folder, "summary.json")))
        if s.get("status") != "completed":
            continue
        if mu is None and os.path.exists(os.path.join(folder, "config.json")):
            sn = json.load(open(os.path.join(folder, "config.json")))["signal_noise"]
            mu = sn["snr"] * sn["sigma_p"] * math.sqrt(sn["d"]) if sn.get("snr", 0) > 0 else sn["signal_norm"]
        acc.setdefault(v[TEXT], {}).setdefault(v["mode"], {})[v.get("seed")] = (s["test_accuracy"], s["train_accuracy"])
    mu = mu or 5.0
    ms = lambda xs: (statistics.mean(xs), statistics.stdev(xs) if len(xs) > 1 else 0.0)
    rows = []
    for t in sorted(acc):
        multi, single = acc[t].get("multi-modal", {}), acc[t].get("single-modal", {})
        seeds = sorted(set(multi) & set(single))
        if not seeds:
            continue
        mt, st = ms([multi[k][0] for k in seeds]), ms([single[k][0] for k in seeds])
        gap = ms([multi[k][0] - single[k][0] for k in seeds])
        rows.append({"text_signal_norm": t, "c_mu": t / mu, "seeds": len(seeds),
                     "multi_test": mt[0], "multi_test_sd": mt[1], "single_test": st[0], "single_test_sd": st[1],
                     "gap": gap[0], "gap_sd": gap[1], "gap_positive_seeds": sum(multi[k][0] > single[k][0] for k in seeds),
                     "multi_train": ms([multi[k][1] for k in seeds])[0], "single_train": ms([single[k][1] for k in seeds])[0]})
    with open(os.path.join(sweep, "cmu.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["text_signal_norm"])
        w.writeheader()
        w.writerows(rows)
    print(f"‖μ‖ = {mu:g}")
    print("| C_μ | ‖μ̃‖ | seeds | multi-modal OOD test | single-modal OOD test | gap (multi − single) | seeds with multi ahead |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['c_mu']:.3g} | {r['text_signal_norm']:g} | {r['seeds']} | {r['multi_test']:.3f} ± {r['multi_test_sd']:.3f} "
              f"| {r['single_test']:.3f} ± {r['single_test_sd']:.3f} | {r['gap']:+.3f} ± {r['gap_sd']:.3f} "
              f"| {r['gap_positive_seeds']}/{r['seeds']} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
