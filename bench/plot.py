#!/usr/bin/env python3
"""bench/plot.py - gathers the benchmarks' JSON into one table, summary.json
and PNG plots.

Called by bench/run.sh as `plot.py DIR` after the benchmarks have written
DIR/ring_hop.json, engine.json, ipr_engine.json, stateful.json,
parquet.json, relay_broker.json and relay_embedded.json (any of them may be missing). Writes DIR/summary.json:
every figure with its baseline and the ratio, the aims with their measured
values, and the machine; prints the table; draws DIR/*.png with matplotlib
when it can be imported (and says so when it cannot: the table and the JSON
do not need it). Standard library only, apart from matplotlib."""

import datetime
import json
import os
import platform
import statistics
import sys


def load(d, name):
    p = os.path.join(d, name)
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        if os.path.exists(p):
            print(f"plot.py: {p}: {e}", file=sys.stderr)
        return None


def loadavg(d):
    try:
        with open(os.path.join(d, "loadavg_start")) as f:
            start = f.read().strip()
        with open("/proc/loadavg") as f:
            end = " ".join(f.read().split()[:3])
        return start, end
    except OSError:
        return None, None


def machine(d):
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    la = loadavg(d)
    return {
        "loadavg_start": la[0], "loadavg_end": la[1],
        "nproc": os.cpu_count(),
        "cpu": model,
        "kernel": platform.release(),
        "date": datetime.datetime.now(datetime.timezone.utc)
        .strftime("%Y-%m-%d %H:%M UTC"),
    }


def ratio(v, b):
    return round(v / b, 4) if v is not None and b else None


class Summary:
    def __init__(self):
        self.figures = []
        self.aims = []

    def fig(self, group, name, unit, value, baseline, base_name,
            lower_is_better=False, note=""):
        self.figures.append({
            "group": group, "name": name, "unit": unit, "value": value,
            "baseline": baseline, "baseline_name": base_name,
            "ratio": ratio(value, baseline),
            "lower_is_better": lower_is_better, "note": note})

    def aim(self, text, value, target, met, detail=""):
        self.aims.append({"aim": text, "value": value, "target": target,
                          "met": met, "detail": detail})


def lat_medians(relay):
    """{(impl, rate, size): run} with the median of each percentile over
    the reps, and the curve of the rep whose p99 is the median."""
    groups = {}
    for r in relay.get("runs", []):
        if r.get("kind") == "latency":
            groups.setdefault((r["impl"], r["rate"], r["size"]), []).append(r)
    out = {}
    for k, runs in groups.items():
        runs = sorted(runs, key=lambda r: r["p99_us"])
        m = dict(runs[len(runs) // 2])
        for f in ("p50_us", "p99_us", "p999_us", "max_us",
                  "achieved_per_s"):
            m[f] = statistics.median(r[f] for r in runs)
        m["sustained"] = all(r["sustained"] for r in runs)
        m["nreps"] = len(runs)
        out[k] = m
    return out


def tput_medians(relay):
    groups = {}
    for r in relay.get("runs", []):
        if r.get("kind") == "throughput":
            groups.setdefault((r["impl"], r["size"]), []).append(r)
    return {k: {"records_per_s": statistics.median(r["records_per_s"]
                                                   for r in v),
                "complete": all(r["received"] == r["records"] for r in v),
                "runs": [r["records_per_s"] for r in v]}
            for k, v in groups.items()}


def summarise(d):
    s = Summary()
    raw = {}
    rh = load(d, "ring_hop.json")
    if rh:
        raw["ring_hop"] = rh
        v = {x["name"]: x for x in rh["variants"]}
        base = v.get(rh["baseline"])
        for name, x in v.items():
            if name == rh["baseline"]:
                continue
            for q in ("p50", "p99", "p999"):
                s.fig("hop", f"{name} {q}", "ns", x[f"{q}_ns"],
                      base and base[f"{q}_ns"], rh["baseline"], True)
            s.fig("hop", f"{name} throughput", "entries/s",
                  x["entries_per_s"], base and base["entries_per_s"],
                  rh["baseline"])
    eng = load(d, "engine.json")
    if eng:
        raw["engine"] = eng
        for r in eng["results"]:
            s.fig("engine", f"{r['partitions']} partition(s)", "rows/s",
                  r["engine_rows_per_s"], r["baseline_rows_per_s"],
                  "plain C loop")
        one = [r for r in eng["results"] if r["partitions"] == 1]
        if one:
            v = one[0]["engine_rows_per_s_per_thread"]
            s.aim("stateless engine >= 20M rows/s per partition thread",
                  v, 20e6, v >= 20e6, "1 partition, rows/s")
    ipr = load(d, "ipr_engine.json")
    if ipr:
        raw["ipr_engine"] = ipr
        s.fig("instructions", "engine path, per row", "instructions",
              ipr.get("engine"), ipr.get("baseline"), "plain C loop", True)
    st = load(d, "stateful.json")
    if st:
        raw["stateful"] = st
        res = {r["query"]: r for r in st["results"]}
        m, b = res.get("stateful"), res.get("stateless")
        if m:
            for q in ("p50", "p99", "p999"):
                s.fig("stateful latency", f"{st['rate']}/s row to update "
                      f"{q}", "ms", m[f"{q}_ms"], b and b[f"{q}_ms"],
                      "same without GROUP BY", True,
                      "COUNTS DO NOT ADD UP" if m["count_mismatches"]
                      else "")
            s.aim("stateful micro-batch: row arrival to emitted update "
                  "in a few ms (p99 < 5 ms)", m["p99_ms"], 5,
                  m["p99_ms"] < 5,
                  f"p50 {m['p50_ms']:.2f} ms, p99.9 {m['p999_ms']:.2f} ms "
                  f"at {st['rate']} rows/s, default trigger")
    pqb = load(d, "parquet.json")
    if pqb:
        raw["parquet"] = pqb
        for k, name in (("write_rows_per_cpu_s", "write, rows per CPU s"),
                        ("read_rows_per_cpu_s", "read, rows per CPU s")):
            s.fig("parquet", name, "rows/s", pqb[k]["sluice"],
                  pqb[k]["pyarrow"], "pyarrow")
        s.fig("parquet", "file size", "bytes", pqb["file_bytes"]["sluice"],
              pqb["file_bytes"]["pyarrow"], "pyarrow", True)
        w = pqb["write_rows_per_cpu_s"]
        s.aim("Parquet write at least pyarrow's speed per core",
              w["sluice"], w["pyarrow"], w["sluice"] >= w["pyarrow"],
              f"{pqb['rows']} rows x 6 columns, snappy")
        fb = pqb["file_bytes"]
        s.aim("Parquet file size within 10% of pyarrow's", fb["sluice"],
              fb["pyarrow"] * 1.1, fb["sluice"] <= fb["pyarrow"] * 1.1)
    for cl in ("broker", "embedded"):
        rel = load(d, f"relay_{cl}.json")
        if not rel:
            continue
        raw[f"relay_{cl}"] = rel
        lat = lat_medians(rel)
        for (impl, rate, size), m in sorted(lat.items()):
            if impl != "sluice":
                continue
            b = lat.get(("baseline", rate, size))
            for q in ("p50", "p99", "p999"):
                s.fig(f"relay {cl}", f"{rate}/s {size} B {q}", "us",
                      m[f"{q}_us"], b and b[f"{q}_us"], "librdkafka loop",
                      True, "" if m["sustained"] else "not sustained")
        tp = tput_medians(rel)
        for (impl, size), m in sorted(tp.items()):
            if impl != "sluice":
                continue
            b = tp.get(("baseline", size))
            s.fig(f"relay {cl}", f"max throughput {size} B", "records/s",
                  m["records_per_s"], b and b["records_per_s"],
                  "librdkafka loop")
        for r in rel.get("runs", []):
            if r.get("kind") == "ipr":
                if r["impl"] == "sluice":
                    b = [x for x in rel["runs"] if x.get("kind") == "ipr"
                         and x["impl"] == "baseline"]
                    s.fig("instructions", f"relay path ({cl}), per record",
                          "instructions", r["per_record"],
                          b[0]["per_record"] if b else None,
                          "librdkafka loop", True)
        rss = {(r["impl"], r["size"]): r for r in rel.get("runs", [])
               if r.get("kind") == "rss"}
        for (impl, size), r in sorted(rss.items()):
            if impl != "sluice":
                continue
            b = rss.get(("baseline", size))
            s.fig(f"memory {cl}", f"relay peak RSS, {r['rate']}/s {size} B",
                  "KiB", r["child"]["vmhwm_kib"],
                  b and b["child"]["vmhwm_kib"], "librdkafka loop", True)
        for r in rel.get("runs", []):
            if r.get("kind") == "slow_sink":
                smp = r["child"]["samples"]
                third = max(1, len(smp) // 3)
                last = [x[1] for x in smp[-third:]]
                grow = (last[-1] - last[0]) / 1024.0
                s.fig(f"memory {cl}",
                      f"slow sink peak RSS ({r['rate']}/s {r['size']} B, "
                      f"{r['slow_us']} us/row)", "KiB",
                      r["child"]["vmhwm_kib"], None, "",
                      True, f"growth over the last third of the run: "
                      f"{grow:.1f} MiB")
        if cl == "broker":
            checkpoint_figures(s, rel, lat, tp)
            k = ("sluice", 10000, 100)
            if k in lat and ("baseline", 10000, 100) in lat:
                v, b = lat[k]["p99_us"], lat[("baseline", 10000, 100)]["p99_us"]
                s.aim("relay p99 at 10k/s within 1.2x of the baseline's",
                      round(v / b, 3) if b else None, 1.2,
                      bool(b) and v / b <= 1.2,
                      f"p99 {v:.0f} us vs {b:.0f} us (100 B)")
            worst = None
            for (impl, size), m in tp.items():
                b = tp.get(("baseline", size))
                if impl == "sluice" and b and b["records_per_s"]:
                    rr = m["records_per_s"] / b["records_per_s"]
                    worst = rr if worst is None else min(worst, rr)
            if worst is not None:
                s.aim("relay max throughput >= 0.9x the baseline's",
                      round(worst, 3), 0.9, worst >= 0.9,
                      "worst ratio over payload sizes")
            peaks = [r["child"]["vmhwm_kib"] for (i, _), r in rss.items()
                     if i == "sluice"]
            if peaks:
                mib = max(peaks) / 1024.0
                s.aim("relay peak RSS < 64 MiB", round(mib, 1), 64,
                      mib < 64, "sluice relay alone, MiB")
    return s, raw


def checkpoint_figures(s, rel, lat, tp):
    """The relay with a checkpoint (100 ms epochs) against the same relay
    without one: latency, max throughput, commit times, and the aims of
    the checkpoint cost (reported, not asserted)."""
    keys = [k for k in lat if k[0] == "ckpt"]
    base_name = "relay without checkpoint"
    for (_, rate, size) in sorted(keys):
        m, b = lat[("ckpt", rate, size)], lat.get(("nockpt", rate, size))
        for q in ("p50", "p99", "p999"):
            s.fig("checkpoint cost", f"{rate}/s {size} B {q}", "us",
                  m[f"{q}_us"], b and b[f"{q}_us"], base_name, True,
                  "" if m["sustained"] else "not sustained")
        if b:
            add = (m["p99_us"] - b["p99_us"]) / 1000.0
            add9 = (m["p999_us"] - b["p999_us"]) / 1000.0
            s.aim("checkpoints (100 ms epochs) add < 0.1 ms to relay p99",
                  round(add, 3), 0.1, add < 0.1,
                  f"ms added at {rate}/s {size} B: p99 {m['p99_us']:.0f} "
                  f"vs {b['p99_us']:.0f} us; p99.9 {add9:+.3f} ms")
    t, tb = tp.get(("ckpt", 100)), tp.get(("nockpt", 100))
    if t:
        s.fig("checkpoint cost", "max throughput 100 B", "records/s",
              t["records_per_s"], tb and tb["records_per_s"], base_name)
        if tb and tb["records_per_s"]:
            loss = 1 - t["records_per_s"] / tb["records_per_s"]
            s.aim("checkpoints (100 ms epochs) cost < 5% relay max "
                  "throughput", round(loss, 3), 0.05, loss < 0.05,
                  f"throughput lost (fraction); {t['records_per_s']:.0f} "
                  f"vs {tb['records_per_s']:.0f} records/s, 100 B")
    for kind, name in (("latency", "latency runs"),
                       ("throughput", "throughput runs")):
        runs = [r for r in rel.get("runs", []) if r.get("kind") == kind
                and r.get("impl") == "ckpt"
                and r.get("commit_ms_median", -1) >= 0]
        if not runs:
            continue
        s.fig("checkpoint cost", f"lastCommitMs median, {name}", "ms",
              statistics.median(r["commit_ms_median"] for r in runs), None,
              "", True, "offsets + commits files per epoch")
        s.fig("checkpoint cost", f"lastCommitMs highest, {name}", "ms",
              max(r["commit_ms_top"] for r in runs), None, "", True)
        s.fig("checkpoint cost", f"maxCommitMs, {name}", "ms",
              max(r["commit_ms_max"] for r in runs), None, "", True,
              "slowest commits/N write alone")


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float) and abs(v) < 100:
        return f"{v:.3g}"
    return f"{v:,.0f}"


def print_table(s):
    print()
    print(f"{'group':<18} {'figure':<44} {'unit':<12} {'sluice':>14} "
          f"{'baseline':>14} {'ratio':>7}")
    for f in s.figures:
        print(f"{f['group']:<18} {f['name']:<44} {f['unit']:<12} "
              f"{fmt(f['value']):>14} {fmt(f['baseline']):>14} "
              f"{fmt(f['ratio']):>7} {f['note']}")
    print()
    print("aims (reported, not asserted):")
    for a in s.aims:
        print(f"  {'MET    ' if a['met'] else 'NOT MET'} {a['aim']}: "
              f"{fmt(a['value'])} (target {fmt(a['target'])}; "
              f"{a['detail']})")


def plots(d, raw):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot.py: matplotlib is not available: no plots (the table "
              "and summary.json are complete)")
        return []
    made = []
    colors = {"sluice": "tab:blue", "baseline": "tab:orange"}
    styles = ["-", "--", ":", "-."]
    for cl in ("broker", "embedded"):
        rel = raw.get(f"relay_{cl}")
        if not rel:
            continue
        lat = lat_medians(rel)
        sizes = sorted({k[2] for k in lat})
        if not sizes:
            continue
        fig, axes = plt.subplots(1, len(sizes), figsize=(6 * len(sizes), 4.5),
                                 squeeze=False)
        for ax, size in zip(axes[0], sizes):
            rates = sorted({k[1] for k in lat if k[2] == size})
            for i, rate in enumerate(rates):
                for impl in ("sluice", "baseline"):
                    m = lat.get((impl, rate, size))
                    if not m:
                        continue
                    pts = [(p, v) for p, v in m["curve"] if p < 100 and v > 0]
                    xs = [1.0 / (1.0 - p / 100.0) for p, _ in pts]
                    ys = [v / 1000.0 for _, v in pts]
                    ax.plot(xs, ys, styles[i % len(styles)],
                            color=colors[impl], marker=".",
                            label=f"{impl} {rate}/s")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ticks = [1, 2, 10, 100, 1000, 10000]
            ax.set_xticks(ticks)
            ax.set_xticklabels(["0", "50", "90", "99", "99.9", "99.99"])
            ax.set_xlabel("percentile")
            ax.set_ylabel("latency from scheduled send (ms)")
            ax.set_title(f"relay on the {cl}, {size} B records")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
        fig.tight_layout()
        p = os.path.join(d, f"relay_latency_{cl}.png")
        fig.savefig(p, dpi=90)
        plt.close(fig)
        made.append(p)

    eng = raw.get("engine")
    if eng:
        parts = [r["partitions"] for r in eng["results"]]
        e = [r["engine_rows_per_s"] / 1e6 for r in eng["results"]]
        b = [r["baseline_rows_per_s"] / 1e6 for r in eng["results"]]
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        x = range(len(parts))
        axes[0].bar([i - 0.2 for i in x], e, 0.4, label="sluice",
                    color=colors["sluice"])
        axes[0].bar([i + 0.2 for i in x], b, 0.4, label="plain C loop",
                    color=colors["baseline"])
        axes[0].set_yscale("log")

        def by_partitions(ax, ylabel, title):
            ax.set_xticks(list(x))
            ax.set_xticklabels([str(p) for p in parts])
            ax.set_xlabel("partitions (threads)")
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            ax.legend()

        by_partitions(axes[0], "million rows/s (log)",
                      "engine: rate -> WHERE -> SELECT -> noop")
        axes[1].bar(list(x), [v / p for v, p in zip(e, parts)],
                    color=colors["sluice"])
        axes[1].axhline(20, color="red", ls="--", label="aim: 20M/thread")
        by_partitions(axes[1], "million rows/s per partition thread",
                      "sluice per partition thread")
        fig.tight_layout()
        p = os.path.join(d, "engine_throughput.png")
        fig.savefig(p, dpi=90)
        plt.close(fig)
        made.append(p)

    rel = raw.get("relay_broker")
    if rel:
        runs = [r for r in rel["runs"] if r.get("kind") in ("rss",
                                                            "slow_sink")]
        if runs:
            fig, ax = plt.subplots(figsize=(7, 4))
            for r in runs:
                smp = r["child"]["samples"]
                lab = (f"{r['impl']} {r['rate']}/s {r['size']} B" if
                       r["kind"] == "rss" else
                       f"slow sink ({r['slow_us']} us/row), {r['rate']}/s "
                       f"{r['size']} B offered")
                ax.plot([t for t, _ in smp], [k / 1024 for _, k in smp],
                        label=lab)
            ax.axhline(64, color="red", ls="--", label="aim: 64 MiB")
            ax.set_xlabel("seconds")
            ax.set_ylabel("RSS (MiB)")
            ax.set_title("relay process memory")
            ax.legend(fontsize=8)
            ax.grid(True, alpha=0.3)
            fig.tight_layout()
            p = os.path.join(d, "relay_memory.png")
            fig.savefig(p, dpi=90)
            plt.close(fig)
            made.append(p)
    for p in made:
        print(f"plot: {p}")
    return made


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "build/bench"
    s, raw = summarise(d)
    m = machine(d)
    print(f"machine: {m['nproc']} cores, {m['cpu']}, Linux {m['kernel']}, "
          f"{m['date']}; load average {m['loadavg_start']} at the start, "
          f"{m['loadavg_end']} at the end")
    print_table(s)
    made = plots(d, raw)
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump({"machine": m, "quick": os.environ.get("BENCH_QUICK") == "1",
                   "figures": s.figures, "aims": s.aims,
                   "plots": [os.path.basename(p) for p in made],
                   "raw": raw}, f, indent=1)
    print(f"summary: {os.path.join(d, 'summary.json')}")


if __name__ == "__main__":
    main()
