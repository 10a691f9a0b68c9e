#!/usr/bin/env python3
"""fuzz.py — seeded fuzz test of `infomax train`'s input handling (part of `make test`).

Generates a fixed (seeded) set of mutations of a valid config file and of the command line —
wrong types, out-of-range and non-integral numbers, unknown and misspelled keys, bad enum
values, truncated / empty / binary files, deep nesting, huge strings, NUL characters, broken
--set paths and options — and runs each under mpirun at 2 ranks, under `timeout`. Whether an
input is valid is decided by construction (each mutation knows if it keeps the config valid,
and which exit code a refusal must have: 64 for a config or argument problem, 65 for a file
that cannot be used). Most cases use --print-config (validation only, fast); every valid
config mutation of the signal-noise model also trains for real (a few steps, tiny sizes).

A case passes when: it did not hang (no timeout) or crash (no signal, no 134/139), a valid
input exits 0 with no error line, an invalid one exits with its expected code and prints
exactly one line starting `infomax: error` on stderr (rank 0 only, once), and no output holds
a raw Foundation error dump or an empty key name.

Usage: Tests/fuzz/fuzz.py [--infomax .build/release/infomax] [--seed 12] [--cases 360]
                          [--ranks 2] [--timeout 60] [--jobs 2] [--keep]
The last line is `fuzz: N passed, M failed`; the exit status is 1 on any failure.
"""
import argparse
import concurrent.futures
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

# A small valid config: every run of it takes well under a second.
BASE = {
    "name": "fuzz",
    "model": "signal-noise",
    "mode": "multi-modal",
    "seed": 7,
    "steps": 3,
    "train_samples": 16,
    "batch_size": 0,
    "probe_train_samples": 20,
    "test_samples": 20,
    "log_every": 1,
    "eval_every": 0,
    "checkpoint_every": 0,
    "optimizer": {"kind": "sgd", "learning_rate": 0.01, "momentum": 0, "schedule": "constant"},
    "loss": {"kind": "infonce", "temperature": 0.1, "similarity": "dot", "negatives": "auto",
             "stop_gradient": True, "patchwise": True, "symmetric": True, "reduction": "auto",
             "exchange": "allgather"},
    "encoder": {"width": 4, "init_scale": 0.01},
    "signal_noise": {"d": 16, "sigma_p": 1, "snr": 0, "positive_fraction": 0.5, "project_noise": True},
}

# Per key: values that keep BASE valid at 2 ranks, and values that must be refused (exit 64).
# Integers: non-integral, negative, beyond the type, of another type.
NOT_INT = [0.5, 2.5, 1e308, -1e308, "3", True, None, [], {}, [1], 18446744073709551616, 9.5e18]
KEYS = {
    "steps": ([1, 2, 5, 1.0, 3.0], [0, -1, -9223372036854775809] + NOT_INT),
    "seed": ([0, 1, 123456789, 18446744073709551615, 9223372036854775808, 2.0],
             [-1, 18446744073709551616, 1.5, "7", False, None, [7]]),
    "train_samples": ([2, 3, 16, 40], [0, 1, -5] + NOT_INT),
    "batch_size": ([0, 2, 8, 16], [1, 17, -1, 0.5, "0"]),
    "probe_train_samples": ([2, 10, 50], [0, 1, -2, 2.5]),
    "test_samples": ([2, 9, 50], [0, 1, -1, 0.5, 1e308]),
    "log_every": ([1, 2, 10, 1000], [0, -1, 1e308, 0.1, "1"]),
    "eval_every": ([0, 1, 3], [-1, 1.5, None]),
    "checkpoint_every": ([0, 2], [-3, 0.25, "x"]),
    "encoder.width": ([1, 3, 8], [0, -1, 4.5, True]),
    "encoder.init_scale": ([0.001, 0.1, 0.3], [0, -0.5, "small", None]),
    "signal_noise.d": ([2, 8, 32], [1, 0, -16, 16.5, "16"]),
    "signal_noise.sigma_p": ([0.5, 2], [0, -1, "one"]),
    "signal_noise.snr": ([0, 0.1, 1], [-0.1, True]),
    "signal_noise.positive_fraction": ([0.4, 0.5, 0.6], [0, 1, 1.5, -0.1, 1e-12, 1 - 1e-12, "half"]),
    "signal_noise.project_noise": ([True, False], [1, "yes", None]),
    "optimizer.kind": (["sgd", "adam"], ["sgdd", "SGD", "", 3, None, "adam\u0000"]),
    "optimizer.learning_rate": ([0.001, 0.05], [0, -0.01, "fast", True]),
    "optimizer.momentum": ([0, 0.5, 0.9], [1, -0.1, 2]),
    "optimizer.schedule": (["constant", "cosine"], ["linear", ""]),
    "loss.kind": (["infonce", "positive-only", "spectral"], ["info-nce", "InfoNCE", 1, [], "x" * 100000]),
    "loss.temperature": ([0.05, 0.5, 1], [0, -1, "hot", None]),
    "loss.similarity": (["dot", "cosine"], ["euclid", "Dot"]),
    "loss.negatives": (["auto", "all", "opposite-label"], ["none", "opposite"]),
    "loss.exchange": (["allgather", "ring"], ["carrier-pigeon", "RING"]),
    "loss.stop_gradient": ([True, False], [1, "true", None]),
    "loss.patchwise": ([True, False], [0, "false"]),
    "loss.symmetric": ([True, False], [[], {}]),
    "loss.reduction": (["auto", "sum", "mean"], ["add", "Sum", 2]),
    "model": (["signal-noise", "latent-linear", "cooccurrence"], ["cifar", "", "Signal-Noise", 2]),
    "mode": (["multi-modal", "single-modal", "compare"], ["both", "multimodal", None]),
    "name": (["fuzz-1", "a b", "x" * 2000, "caf\u00e9"], ["", "a/b", "..", ".", "a\u0000b", "a\nb", 5]),
}
# Keys whose changed value needs other keys changed to stay valid (checked below).
KNOWN = set(KEYS) | {"optimizer", "loss", "encoder", "signal_noise", "latent_linear", "cooccurrence",
                     "optimizer.beta1", "optimizer.beta2", "optimizer.epsilon", "optimizer.weight_decay",
                     "loss.scale", "signal_noise.signal_norm", "signal_noise.text_signal_norm",
                     "signal_noise.text_sigma", "signal_noise.test_signal_norm", "signal_noise.augmentation_sigma"}


def set_key(config, key, value):
    node = config
    parts = key.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def get_key(config, key):
    node = config
    for p in key.split("."):
        node = node[p]
    return node


def still_valid(config):
    """Cross-key rules of the validation that a single valid change can break."""
    model = config["model"]
    mode = config["mode"]
    if model == "latent-linear" and (mode != "multi-modal" or config["loss"]["negatives"] == "opposite-label"):
        return False
    if not config["loss"].get("symmetric", True) and config["loss"].get("reduction", "auto") != "auto":
        return False
    return True


def dump(config):
    return json.dumps(config, ensure_ascii=False, indent=1).encode("utf-8")


def misspell(rng, key):
    """A near miss of a key that is no key at all."""
    for _ in range(100):
        k = list(key)
        op = rng.choice(["swap", "drop", "add", "case", "dash"])
        i = rng.randrange(len(k))
        if op == "swap" and len(k) > 1:
            j = min(i + 1, len(k) - 1)
            k[i], k[j] = k[j], k[i]
        elif op == "drop" and len(k) > 1:
            del k[i]
        elif op == "add":
            k.insert(i, rng.choice("abcdefghijklmnopqrstuvwxyz_"))
        elif op == "case":
            k[i] = k[i].upper()
        elif op == "dash":
            k.insert(i, "-")
        word = "".join(k)
        if word != key and word not in {p for q in KNOWN for p in q.split(".")} and "-" not in word:
            return word
    return key + "zz"


class Case:
    def __init__(self, kind, what, expect, content=None, args=(), real=False):
        self.kind, self.what, self.expect, self.content, self.args, self.real = kind, what, expect, content, list(args), real


def generate(rng, count):
    cases = []
    # 1. One key, one value: valid values (these also train for real) and refused ones.
    for key, (good, bad) in KEYS.items():
        for j, v in enumerate(good):
            c = json.loads(json.dumps(BASE))
            set_key(c, key, v)
            valid = still_valid(c)
            # The first two valid values of each key also train (a few steps), the rest validate only.
            real = valid and j < 2 and c["model"] == "signal-noise" and not (isinstance(v, str) and len(v) > 100)
            cases.append(Case("value", f"{key}={json.dumps(v)[:40]}", 0 if valid else 64, dump(c), real=real))
        # Up to four refused values per key (always the first, then a seeded choice).
        for v in bad[:1] + rng.sample(bad[1:], min(3, len(bad) - 1)):
            c = json.loads(json.dumps(BASE))
            set_key(c, key, v)
            cases.append(Case("type/range/enum", f"{key}={json.dumps(v)[:40]}", 64, dump(c)))
    # 2. Unknown keys, at the top level and nested, and misspellings of every key.
    for k in ["optimiser", "stepz", "Steps", "learning_rate", "k" * 100000, "", " steps", "steps\u0000"]:
        c = json.loads(json.dumps(BASE))
        c[k] = 1
        cases.append(Case("unknown key", repr(k[:30]), 64, dump(c)))
    for key in KEYS:
        c = json.loads(json.dumps(BASE))
        parts = key.split(".")
        node = c
        for p in parts[:-1]:
            node = node[p]
        node[misspell(rng, parts[-1])] = node.pop(parts[-1])
        cases.append(Case("misspelled key", key, 64, dump(c)))
    # 3. Files that cannot be used: truncated, empty, binary, not an object, too deep, too big.
    text = dump(BASE)
    for _ in range(20):
        cut = rng.randrange(0, len(text) - 1)
        cases.append(Case("truncated", f"at byte {cut} of {len(text)}", 65, text[:cut]))
    cases.append(Case("empty file", "0 bytes", 65, b""))
    cases.append(Case("whitespace file", "spaces", 65, b"   \n\t "))
    for _ in range(8):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))) + b"\xff"
        cases.append(Case("binary", f"{len(junk)} random bytes", 65, junk))
    for top in [b"[1, 2]", b"3", b"\"steps\"", b"null", b"true"]:
        cases.append(Case("not an object", top.decode(), 65, top))
    for depth in [1000, 5000, 100000]:
        cases.append(Case("deep nesting", f"{depth} lists", 65, b'{"loss": ' + b"[" * depth + b"]" * depth + b"}"))
        cases.append(Case("deep nesting", f"{depth} objects", 65, b'{"a":' * depth + b"1" + b"}" * depth))
    for depth in [3, 40]:
        cases.append(Case("nesting", f"{depth} lists in an object key", 64, b'{"loss": ' + b"[" * depth + b"]" * depth + b"}"))
        cases.append(Case("nesting", f"{depth} objects", 64, b'{"a":' * depth + b"1" + b"}" * depth))
    cases.append(Case("huge string", "2 MB name", 65, dump(dict(BASE, name="x" * 2_000_000))))
    cases.append(Case("huge string", "200 kB name", 0, dump(dict(BASE, name="n" * 200_000))))
    # Numbers no 64-bit type holds: the JSON parser cannot read the file (65).
    cases.append(Case("huge number", "steps with 400 digits", 65, b'{"steps": 1' + b"0" * 400 + b"}"))
    cases.append(Case("huge number", "temperature 1e999", 65, b'{"loss": {"temperature": 1e999}}'))
    cases.append(Case("encoding", "Latin-1 byte", 65, b'{"name": "caf\xe9"}'))
    cases.append(Case("encoding", "UTF-8 BOM", 0, b"\xef\xbb\xbf" + dump(BASE)))
    cases.append(Case("empty object", "{}", 0, b"{}"))
    cases.append(Case("NUL", "raw NUL byte", 65, b'{"name": "a\x00b"}'))
    # 4. The command line: --set paths and values, options, files.
    sets = [
        (["--set", "steps=3"], 0), (["--set", "steps=1e1"], 0), (["--set", "loss.kind=spectral"], 0),
        (["--set", "seed=18446744073709551615"], 0), (["--set", "optimizer.kind=\"adam\""], 0),
        (["--set", "steps"], 64), (["--set", "=3"], 64), (["--set", ".steps=3"], 64), (["--set", "steps.=3"], 64),
        (["--set", "loss..kind=infonce"], 64), (["--set", "loss.kind.x=1"], 64), (["--set", "loss=3"], 64),
        (["--set", "unknown=1"], 64), (["--set", "steps=3.5"], 64), (["--set", "steps=-1"], 64),
        (["--set", "log_every=1e308"], 64), (["--set", "seed=-1"], 64), (["--set", "seed=18446744073709551616"], 64),
        (["--set", "test_samples=0.5"], 64), (["--set", "steps="], 64), (["--set", "steps=[" * 3000 + "]" * 3000], 64),
        (["--set", "name=\"" + "y" * 50000 + "/\""], 64), (["--set", "loss.temperature=nan"], 64),
        (["--set", "loss.temperature=1e999"], 64), (["--set", "signal_noise.positive_fraction=1e-9"], 64),
        (["--steps", "-1"], 64), (["--steps", "0"], 64), (["--steps", "2.5"], 64), (["--steps", "abc"], 64),
        (["--steps", ""], 64), (["--steps", "1e308"], 64), (["--steps", "4"], 0),
        (["--seed", "-1"], 64), (["--seed", "0"], 0), (["--seed", "18446744073709551615"], 0), (["--seed", "x"], 64),
        (["--mode", "both"], 64), (["--mode", "single-modal"], 0), (["--model", "cifar"], 64), (["--loss", "x\"y"], 64),
        (["--loss", "positive-only"], 0), (["--bogus"], 64), (["--progress", "fast"], 64), (["--steps"], 64),
        (["--config"], 64), (["-x"], 64), (["extra-argument"], 64), (["--set"], 64),
    ]
    for args, expect in sets:
        cases.append(Case("command line", " ".join(a[:40] for a in args), expect, dump(BASE), args=args))
    cases.append(Case("command line", "--config missing.json", 65, None, args=["--config", "/nonexistent/fuzz.json"]))
    cases.append(Case("command line", "--config ''", 65, None, args=["--config", ""]))
    cases.append(Case("command line", "--config a folder", 65, None, args=["--config", "/tmp"]))
    cases.append(Case("command line", "--config /dev/zero", 65, None, args=["--config", "/dev/zero"]))
    cases.append(Case("command line", "--output ''", 64, dump(BASE), args=["--output", "", "--force"]))
    # 5. Random combinations of two valid changes (these keep the config valid) and of a valid and
    #    a refused one (refused), until `count` cases.
    keys = list(KEYS)
    while len(cases) < count:
        c = json.loads(json.dumps(BASE))
        k1, k2 = rng.sample(keys, 2)
        set_key(c, k1, rng.choice(KEYS[k1][0]))
        if rng.random() < 0.5:
            set_key(c, k2, rng.choice(KEYS[k2][0]))
            # batch_size must stay within train_samples; a fraction other than 0.5 needs 3 samples
            # per set for one of the rarer label to be expected (else one label may be refused).
            if c["batch_size"] > c["train_samples"]:
                c["batch_size"] = 0
            if c["signal_noise"]["positive_fraction"] != 0.5:
                for k in ["train_samples", "probe_train_samples", "test_samples"]:
                    c[k] = max(c[k], 3)
            valid = still_valid(c)
            real = valid and c["model"] == "signal-noise" and len(c["name"]) < 100 and rng.random() < 0.5
            cases.append(Case("two values", f"{k1}, {k2}", 0 if valid else 64, dump(c), real=real))
        else:
            set_key(c, k2, rng.choice(KEYS[k2][1]))
            cases.append(Case("valid + refused", f"{k1}, {k2}={json.dumps(get_key(c, k2))[:30]}", 64, dump(c)))
    return cases


def run_case(i, case, opts, work):
    folder = os.path.join(work, f"case-{i}")
    os.makedirs(folder)
    args = []
    if case.content is not None:
        path = os.path.join(folder, "config.json")
        with open(path, "wb") as f:
            f.write(case.content)
        args += ["--config", path]
    args += case.args
    if case.real:
        args += ["--output", os.path.join(folder, "run"), "--progress", "none"]
    elif "--output" not in case.args:
        args += ["--print-config", "--output", os.path.join(folder, "never-written")]
    mpirun = ["mpirun", "-np", str(opts.ranks), "--oversubscribe", "--bind-to", "none"]
    if os.geteuid() == 0:
        mpirun.append("--allow-run-as-root")
    command = ["timeout", "-k", "5", str(opts.timeout)] + mpirun + [opts.infomax, "train"] + args
    start = time.time()
    p = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=folder)
    seconds = time.time() - start
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    problems = []
    if p.returncode in (124, 137) or p.returncode < 0:
        problems.append(f"hung or killed (exit {p.returncode} after {seconds:.1f} s)")
    elif p.returncode in (134, 139) or p.returncode > 128:
        problems.append(f"crashed (exit {p.returncode})")
    error_lines = [l for l in err.splitlines() if l.startswith("infomax: error")]
    if case.expect == 0:
        if p.returncode != 0:
            problems.append(f"valid input refused with exit {p.returncode}")
        if error_lines:
            problems.append("valid input printed an error line")
        if case.real and p.returncode == 0:
            summary = os.path.join(folder, "run", "summary.json")
            try:
                with open(summary) as f:
                    if json.load(f).get("status") != "completed":
                        problems.append("the run did not complete")
            except (OSError, ValueError):
                problems.append("no summary.json")
    else:
        if p.returncode != case.expect:
            problems.append(f"exit {p.returncode}, expected {case.expect}")
        if len(error_lines) != 1:
            problems.append(f"{len(error_lines)} lines start with 'infomax: error' (expected exactly 1)")
        if os.path.exists(os.path.join(folder, "never-written")) or os.path.exists(os.path.join(folder, "run")):
            problems.append("a refused input wrote an output folder")
    for needle in ["Error Domain=", "NSCocoaErrorDomain", "config key ''", "Fatal error", "Segmentation fault"]:
        if needle in out or needle in err:
            problems.append(f"output holds {needle!r}")
    shutil.rmtree(folder, ignore_errors=True)
    first_error = error_lines[0][:160] if error_lines else ""
    return i, case, p.returncode, seconds, problems, first_error, err[-600:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--infomax", default=".build/release/infomax")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--cases", type=int, default=360)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=2, help="cases run at once")
    ap.add_argument("--verbose", action="store_true", help="print every case's first error line")
    opts = ap.parse_args()
    opts.infomax = os.path.abspath(opts.infomax)
    if not os.access(opts.infomax, os.X_OK):
        print(f"fuzz: {opts.infomax} is not built (make build)", file=sys.stderr)
        return 1
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    cases = generate(random.Random(opts.seed), opts.cases)
    work = tempfile.mkdtemp(prefix="infomax-fuzz-")
    start = time.time()
    passed = failed = 0
    kinds = {}
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs) as pool:
            futures = [pool.submit(run_case, i, c, opts, work) for i, c in enumerate(cases)]
            for f in concurrent.futures.as_completed(futures):
                i, case, code, seconds, problems, first_error, tail = f.result()
                k = kinds.setdefault(case.kind, [0, 0])
                if problems:
                    failed += 1
                    k[1] += 1
                    print(f"FAIL #{i} {case.kind}: {case.what} (exit {code}, {seconds:.1f} s): {'; '.join(problems)}")
                    print("     stderr: " + tail.replace("\n", "\n             "))
                else:
                    passed += 1
                    k[0] += 1
                    if opts.verbose:
                        print(f"ok   #{i} {case.kind}: {case.what} -> {code} {first_error}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    valid = sum(1 for c in cases if c.expect == 0)
    real = sum(1 for c in cases if c.real)
    print("fuzz: by kind: " + ", ".join(f"{k} {v[0]}/{v[0] + v[1]}" for k, v in sorted(kinds.items())))
    print(f"fuzz: {len(cases)} cases at {opts.ranks} ranks (seed {opts.seed}): {valid} valid ({real} trained for real), "
          f"{len(cases) - valid} refused by construction; {time.time() - start:.0f} s")
    print(f"fuzz: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
