"""bench/spark/table.py spark_relay.json - the Markdown table of
bench/spark/run.sh: per relay, end-to-end latency at 1k and 10k records/s
(p50 / p99, ms), the highest rate with p99 under 5 s and nothing lost,
p99 at 1k records/s with a CPU-bound process on every core, CPU seconds
per million records, peak RSS; and each Spark figure's ratio to
sluice's."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = {r["relay"]: r for r in rows}
base = by.get("sluice")


def rate(r, n):
    for x in r.get("rates", []):
        if x["rate"] == n:
            return x
    return None


def fmt(v, unit=""):
    return "-" if v is None else ("%.1f%s" % (v, unit) if isinstance(v, float) else "%s%s" % (v, unit))


def ratio(v, b):
    if v is None or b in (None, 0):
        return ""
    return " (%.0fx)" % (v / b) if v / b >= 10 else " (%.1fx)" % (v / b)


print("| relay | 1k/s p50 / p99 ms | 10k/s p50 / p99 ms | max rate/s | 1k/s p99 under load | CPU s per M (1k, 10k) | peak RSS MB |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    if "error" in r:
        print("| %s | %s | | | | | |" % (r["relay"], r["error"]))
        continue
    cells = [r["relay"]]
    for n in (1000, 10000):
        x, b = rate(r, n), rate(base, n) if base else None
        if not x:
            cells.append("-")
            continue
        c = "%.2f / %.2f" % (x["p50_ms"], x["p99_ms"])
        if b and r is not base:
            c += ratio(x["p99_ms"], b["p99_ms"])
        if x["lost"]:
            c += ", %d lost" % x["lost"]
        cells.append(c)
    cells.append(fmt(r.get("max_rate")) + (ratio(base["max_rate"], r["max_rate"]).replace("(", "(sluice ").replace("x)", "x faster)") if base and r is not base and r.get("max_rate") and base.get("max_rate") else ""))
    ld = r.get("loaded")
    cells.append("-" if not ld else "%.2f%s" % (ld["p99_ms"], ratio(ld["p99_ms"], base["loaded"]["p99_ms"]) if base and base.get("loaded") and r is not base else ""))
    cpu = [rate(r, n)["cpu_s_per_M"] if rate(r, n) else None for n in (1000, 10000)]
    cells.append(", ".join(fmt(c) for c in cpu))
    cells.append(fmt(r.get("peak_rss_mb")) + (ratio(r["peak_rss_mb"], base["peak_rss_mb"]) if base and r is not base else ""))
    print("| " + " | ".join(cells) + " |")
