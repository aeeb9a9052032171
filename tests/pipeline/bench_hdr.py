"""tests/pipeline/bench_hdr.py LOG SUMMARY.json - reads a `sluice bench
--hdr-log` file with HdrHistogram's own Python reader (the hdrhistogram
package, an independent implementation of the log and its V2 compressed
encoding) and checks it against the run's JSON summary: one interval per
second, every received record counted once, and the merged histogram's
p50/p99/max within the log's resolution of what sluice reported. Run by
tests/pipeline/bench.sh with the venv of tests/spark/setup.sh."""
import json
import sys

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader

log, summary = sys.argv[1], sys.argv[2]
d = json.load(open(summary))
ref = HdrHistogram(1, 3600 * 10**9, 2)
reader = HistogramLogReader(log, ref)
total = HdrHistogram(1, 3600 * 10**9, 2)
intervals = 0
while True:
    h = reader.get_next_interval_histogram()
    if h is None:
        break
    intervals += 1
    total.add(h)
secs = [s for s in d["seconds"] if s["received"] > 0]
assert intervals == len(secs), "%d intervals, %d seconds with records" % (intervals, len(secs))
assert total.get_total_count() == d["received"], \
    "log counts %d records, the summary %d" % (total.get_total_count(), d["received"])
lat = d["latency_ms"]
# warmup 0: the summary's histogram holds every record too
for name, p in (("p50", 50), ("p99", 99)):
    got = total.get_value_at_percentile(p) / 1e6
    want = lat[name]
    assert abs(got - want) <= 0.04 * want + 0.002, "%s: log %.4f ms, summary %.4f ms" % (name, got, want)
got_max = total.get_max_value() / 1e6
assert abs(got_max - lat["max"]) <= 0.02 * lat["max"] + 0.002, "max: log %.4f, summary %.4f" % (got_max, lat["max"])
print("bench_hdr: %d intervals, %d records, p99 %.3f ms: the log reads as the summary says"
      % (intervals, total.get_total_count(), total.get_value_at_percentile(99) / 1e6))
