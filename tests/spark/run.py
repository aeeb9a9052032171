# tests/spark/run.py - the differential test against real Spark: runs every
# case of tests/spark/cases/*.txt (the SELECT list, WHERE, input rows, ANSI
# mode) in PySpark and in `sluice run`, and compares column names, column
# types and rows. Spark is the oracle: nothing is expected that Spark did not
# give in this run. One line per failing case, then `N passed, M failed`.
#
#   build/spark-venv/bin/python tests/spark/run.py            # every case file but gaps.txt
#   build/spark-venv/bin/python tests/spark/run.py --gaps     # gaps.txt
#   ... run.py FILE... [-k SUBSTRING] [--verbose] [--report OUT.json]
#   ... run.py --gaps --strict-errors --gaps-md tests/spark/GAPS.md   # the work list
#
# Environment: SLUICE (default $B/sluice), B (default build); the work
# directory is $B/spark-test (inputs, one pipeline and output per case, and
# spark.log, where the JVM's own output goes). The case format is described
# in tests/spark/README.md.
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# ---------------------------------------------------------------------------
# Case files


class CaseFileError(Exception):
    pass


class Input:
    def __init__(self, name, ddl, rows, where):
        self.name, self.ddl, self.rows, self.where = name, ddl, rows, where


class Case:
    def __init__(self, name, select, where_at):
        self.name = name
        self.select = select
        self.where = None
        self.error = None       # Spark's error class the case expects
        self.ordered = False
        self.approx = None      # relative tolerance for floating numbers
        self.ansi = True
        self.conf = []          # (key, value) settings besides ANSI's
        self.input = "one"
        self.group = ""
        self.note = ""
        self.file, self.line = where_at

    @property
    def where_at(self):
        return "%s:%d" % (os.path.basename(self.file), self.line)


# The one-row input of cases without input (literals): one INT column.
ONE = Input("one", "_one INT", ['{"_one":1}'], ("<builtin>", 0))

NAME_RE = re.compile(r"^([A-Za-z0-9_]+):\s*(.*)$")
OPT_RE = re.compile(r"^\s+([a-z]+)(?::\s*(.*))?$")


def parse_case_file(path, inputs, cases):
    """Reads one case file into inputs (by name) and cases (in order).
    Raises CaseFileError for anything it does not understand."""
    ansi, use, group = True, "one", ""
    cur_input, cur = None, None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for no, raw in enumerate(lines, 1):
        at = "%s:%d" % (os.path.basename(path), no)
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            cur_input = None if not line.strip() else cur_input
            continue
        if cur_input is not None and line.lstrip().startswith("{"):
            try:
                json.loads(line)
            except ValueError as e:
                raise CaseFileError("%s: input row is not JSON: %s" % (at, e))
            cur_input.rows.append(line.strip())
            continue
        cur_input = None
        if line.startswith("@"):
            word, _, rest = line[1:].partition(" ")
            rest = rest.strip()
            if word == "input":
                name, _, ddl = rest.partition(":")
                name, ddl = name.strip(), ddl.strip()
                if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or not ddl:
                    raise CaseFileError("%s: expected '@input name: DDL'" % at)
                if name in inputs or name in ("one", "out"):
                    raise CaseFileError("%s: input '%s' defined twice" % (at, name))
                cur_input = inputs[name] = Input(name, ddl, [], (path, no))
            elif word == "use":
                use = rest
            elif word == "ansi":
                if rest not in ("true", "false"):
                    raise CaseFileError("%s: @ansi takes true or false" % at)
                ansi = rest == "true"
            elif word == "group":
                group = rest
            else:
                raise CaseFileError("%s: unknown directive '@%s'" % (at, word))
            cur = None
            continue
        m = NAME_RE.match(line)
        if m:
            cur = Case(m.group(1), m.group(2).strip(), (path, no))
            cur.ansi, cur.input, cur.group = ansi, use, group
            if not cur.select:
                raise CaseFileError("%s: case '%s' has no SELECT list" % (at, cur.name))
            cases.append(cur)
            continue
        m = OPT_RE.match(line)
        if m and cur is not None:
            key, val = m.group(1), (m.group(2) or "").strip()
            if key == "where":
                cur.where = val
            elif key == "error":
                cur.error = val
            elif key == "ordered":
                cur.ordered = True
            elif key == "approx":
                cur.approx = float(val)
            elif key == "ansi":
                if val not in ("true", "false"):
                    raise CaseFileError("%s: ansi takes true or false" % at)
                cur.ansi = val == "true"
            elif key == "conf":
                k, eq, v = val.partition("=")
                if not eq or not k.strip():
                    raise CaseFileError("%s: conf takes key = value" % at)
                cur.conf.append((k.strip(), v.strip()))
            elif key == "input":
                cur.input = val
            elif key == "note":
                cur.note = val
            else:
                raise CaseFileError("%s: unknown case option '%s'" % (at, key))
            continue
        raise CaseFileError("%s: cannot read line: %s" % (at, line))


# ---------------------------------------------------------------------------
# JSON rows: numbers keep their text, so 1.0E10 and 1.0e10 differ, as they
# do on the page; objects keep their key order and repeated keys.


class Num:
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


def loads(s):
    return json.loads(s, parse_int=Num, parse_float=Num, parse_constant=Num,
                      object_pairs_hook=lambda pairs: ("obj", pairs))


def canon(v):
    """The value as one exact text (what the rows compare on)."""
    if v is None:
        return "null"
    if isinstance(v, Num):
        return v.text
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, tuple) and v[0] == "obj":
        return "{" + ",".join("%s:%s" % (json.dumps(k, ensure_ascii=False), canon(x))
                              for k, x in v[1]) + "}"
    return repr(v)


def row_values(line, names):
    """One JSON line of a sink (null fields left out) as a list of values in
    the order of names; repeated names take the keys in order."""
    obj = loads(line)
    pairs = list(obj[1])
    out = []
    for n in names:
        for i, (k, v) in enumerate(pairs):
            if k == n:
                out.append(v)
                del pairs[i]
                break
        else:
            out.append(None)
    if pairs:   # keys no column has: keep them visible in the comparison
        out.append(("obj", pairs))
    return out


def approx_equal(a, b, tol):
    if isinstance(a, Num) and isinstance(b, Num):
        try:
            x, y = float(a.text), float(b.text)
        except ValueError:
            return a.text == b.text
        if x == y:
            return True
        return abs(x - y) <= tol * max(abs(x), abs(y))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(approx_equal(p, q, tol) for p, q in zip(a, b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return (len(a[1]) == len(b[1]) and
                all(k1 == k2 and approx_equal(p, q, tol)
                    for (k1, p), (k2, q) in zip(a[1], b[1])))
    return canon(a) == canon(b)


# ---------------------------------------------------------------------------
# Types. sluice names its types with Spark's simpleString names
# (core/value.c), so the map is the identity on the types both have; a
# Spark type sluice lacks keeps Spark's name and so can only match a sluice
# that prints the same name for it.

SPARK_TO_SLUICE = {
    "void": "void", "boolean": "boolean", "int": "int", "bigint": "bigint",
    "double": "double", "string": "string", "binary": "binary",
    "date": "date", "timestamp": "timestamp",
}


def sluice_type_name(spark_simple):
    return re.sub(r"[a-z_]+", lambda m: SPARK_TO_SLUICE.get(m.group(0), m.group(0)),
                  spark_simple) if "<" in spark_simple else \
        SPARK_TO_SLUICE.get(spark_simple, spark_simple)


INTERVAL_UNIT = r"(?:year|month|day|hour|minute|second)"
BASE_RE = re.compile(r"interval %s(?: to %s)?|decimal\(\d+,\d+\)|[a-z_]+(?:\(\d+\))?"
                     % (INTERVAL_UNIT, INTERVAL_UNIT))


def parse_type(s, i):
    """The end of the type name starting at s[i], or None."""
    m = BASE_RE.match(s, i)
    if not m:
        return None
    name, i = m.group(0), m.end()
    if name in ("array", "map", "struct"):
        if i >= len(s) or s[i] != "<":
            return None
        i += 1
        if name == "array":
            i = parse_type(s, i)
        elif name == "map":
            i = parse_type(s, i)
            if i is None or i >= len(s) or s[i] != ",":
                return None
            i = parse_type(s, i + 1)
        else:
            while i is not None and i < len(s) and s[i] != ">":
                c = s.find(":", i)
                if c < 0:
                    return None
                i = parse_type(s, c + 1)
                if i is not None and i < len(s) and s[i] == ",":
                    i += 1
        if i is None or i >= len(s) or s[i] != ">":
            return None
        i += 1
    return i


def split_schema(s):
    """'a: int, concat(x, y): string' -> [(name, type)], or None. Names may
    hold ', ' and ': ', so each split is tried against the type grammar."""
    def go(i):
        if i == len(s):
            return []
        j = s.find(": ", i)
        while j >= 0:
            k = parse_type(s, j + 2)
            if k is not None and (k == len(s) or s.startswith(", ", k)):
                rest = go(k if k == len(s) else k + 2)
                if rest is not None:
                    return [(s[i:j], s[j + 2:k])] + rest
            j = s.find(": ", j + 1)
        return None
    return go(0) if s else []


# ---------------------------------------------------------------------------
# sluice: one pipeline per case, `sluice validate` for the schema, `sluice
# run` (trigger availableNow) into the json file sink for the rows.


def sql_str(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def sluice_case(sluice, case, inp, indir, work):
    t = time.time()
    try:
        res = sluice_case_1(sluice, case, inp, indir, work)
    except Exception as e:   # the harness's own trouble is the case's failure
        res = {"error": "harness: %s: %s" % (type(e).__name__, e), "broken": True}
    res["end"] = time.time()
    res["secs"] = res["end"] - t
    return res


def sluice_case_1(sluice, case, inp, indir, work):
    d = os.path.join(work, "cases", case.name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    out = os.path.join(d, "out")
    pipe = os.path.join(d, "pipeline.sql")
    # The case's mode, as Spark runs it (spark.sql.ansi.enabled).
    text = ("SET spark.sql.ansi.enabled = %s;\n" % ("true" if case.ansi else "false") +
            "".join("SET %s = %s;\n" % kv for kv in case.conf) +
            "CREATE SOURCE %s WITH (format = 'json', path = %s, schema = %s);\n"
            "CREATE SINK out WITH (format = 'json', path = %s, trigger = 'availableNow');\n"
            "INSERT INTO out SELECT %s FROM %s%s;\n"
            % (inp.name, sql_str(indir), sql_str(inp.ddl), sql_str(out),
               case.select, inp.name,
               " WHERE " + case.where if case.where else ""))
    with open(pipe, "w", encoding="utf-8") as f:
        f.write(text)
    res = {"pipeline": pipe}

    def sh(verb):
        try:
            p = subprocess.run([sluice, verb, pipe] + (["--timeout", "20"] if verb == "run" else []),
                               capture_output=True, timeout=30)
        except subprocess.TimeoutExpired:
            return None, "sluice %s timed out" % verb
        return p, None

    def msg(p, verb):
        # the messages name the generated file: keep its name, not the path
        t = p.stderr.decode("utf-8", "replace").strip() or "%s: exit %d" % (verb, p.returncode)
        return t.replace(pipe + ":", "pipeline.sql:")

    def sh_ok(verb):
        # the run, and why it failed (timed out, non-zero exit) or None
        p, err = sh(verb)
        if p is not None and p.returncode != 0:
            err = msg(p, verb)
        return p, err

    p, err = sh_ok("validate")
    if err is not None:
        res["error"] = err
        return res
    lines = p.stdout.decode("utf-8", "replace").split("\n")
    schema = None
    in_query = False
    for i, ln in enumerate(lines):
        if ln.startswith("query "):
            in_query = True
        elif in_query and ln.startswith("  schema   "):
            # a name may hold a line break: the schema runs to "  write"
            j = i + 1
            while j < len(lines) and not lines[j].startswith("  write "):
                j += 1
            schema = "\n".join(lines[i:j])[len("  schema   "):]
            break
    if schema is None:
        res["error"] = "cannot find the query's schema in `sluice validate`:\n" + "\n".join(lines)
        return res
    cols = split_schema(schema)
    if cols is None:
        res["error"] = "cannot split the schema line of `sluice validate`: " + schema
        return res
    res["names"] = [c[0] for c in cols]
    res["types"] = [c[1] for c in cols]
    p, err = sh_ok("run")
    if err is not None:
        res["error"] = err
        return res
    # the committed files, as the manifests list them (docs/FILES.md)
    meta = os.path.join(out, "_spark_metadata")
    rows = []
    try:
        batches = sorted((int(n) for n in os.listdir(meta) if n.isdigit()))
    except OSError as e:
        res["error"] = "no output manifest: %s" % e
        return res
    for b in batches:
        with open(os.path.join(meta, str(b)), encoding="utf-8") as f:
            entries = f.read().split("\n")[1:]
        for ent in entries:
            if not ent.strip():
                continue
            pth = json.loads(ent)["path"]
            if pth.startswith("file://"):
                pth = pth[len("file://"):]
            with open(pth, encoding="utf-8") as f:
                rows += [ln for ln in f.read().split("\n") if ln]
    res["rows"] = rows
    return res


# ---------------------------------------------------------------------------
# Spark: one local session for the whole run; its JVM writes to spark.log.


def start_spark(work):
    log = open(os.path.join(work, "spark.log"), "ab")
    saved = os.dup(2)
    os.dup2(log.fileno(), 2)   # the JVM inherits it: its logs go to spark.log
    warnings.filterwarnings("ignore")
    import logging
    logging.getLogger("pyspark").setLevel(logging.CRITICAL)
    logging.getLogger("py4j").setLevel(logging.CRITICAL)
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[%d]" % max(1, SPARK_THREADS))
             .appName("sluice-spark-diff")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "1")
             .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
             .config("spark.sql.ansi.enabled", "true")
             .getOrCreate())
    spark.sparkContext.setLogLevel("OFF")
    return spark, saved, log


def spark_condition(e):
    cond = None
    for get in ("getCondition", "getErrorClass"):
        f = getattr(e, get, None)
        if f:
            try:
                cond = f()
            except Exception:
                cond = None
            if cond:
                break
    if not cond:
        m = re.search(r"\[([A-Z_][A-Z0-9_.]*)\]", str(e))
        cond = m.group(1) if m else type(e).__name__
    return cond


SPARK_THREADS = 1   # --spark-threads
STRICT_ERRORS = False   # --strict-errors: sluice's message must name Spark's class
TOJSON = False   # --tojson: rows through DataFrame.toJSON(), the reference


def first_line(e):
    lines = [ln for ln in str(e).split("\n") if ln.strip()]
    return (lines[0] if lines else type(e).__name__)[:300]


def spark_case(spark, case, inp):
    res = {}
    spark.conf.set("spark.sql.ansi.enabled", "true" if case.ansi else "false")
    for k, v in case.conf:
        spark.conf.set(k, v)
    try:
        return spark_case_1(spark, case, inp, res)
    finally:
        for k, _ in case.conf:
            spark.conf.unset(k)


def spark_case_1(spark, case, inp, res):
    q = "SELECT %s FROM %s%s" % (case.select, inp.name,
                                 " WHERE " + case.where if case.where else "")
    try:
        df = spark.sql(q)
        res["names"] = list(df.columns)
        res["types"] = [f.dataType.simpleString() for f in df.schema.fields]
        if TOJSON:
            res["rows"] = df.toJSON().collect()
        else:
            # the same JSON generator as toJSON, without the trip through
            # Python RDDs (half the time per case)
            res["rows"] = [r[0] for r in spark.sql(
                "SELECT to_json(struct(*)) FROM (%s) AS __case" % q).collect()]
    except Exception as e:   # analysis and runtime errors alike
        res.pop("rows", None)
        res["error"] = spark_condition(e)
        res["message"] = first_line(e)
    return res


# ---------------------------------------------------------------------------
# Comparing


def short(x, n=400):
    s = x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)
    return s if len(s) <= n else s[:n] + "..."


def compare(case, sp, sl):
    """The list of differences (empty: the case passed)."""
    if sl.get("broken"):   # sluice never ran: nothing to compare
        return ["sluice did not run: %s" % sl["error"]]
    if "error" in sp:
        if not case.error:
            return ["spark raised %s (%s); the case expects rows (add 'error: %s' if that is right)"
                    % (sp["error"], sp.get("message", ""), sp["error"])]
        if not (sp["error"] == case.error or sp["error"].startswith(case.error + ".")):
            return ["spark raised %s, the case expects %s" % (sp["error"], case.error)]
        if "error" in sl:
            cls = sp["error"].split(".")[0]
            if STRICT_ERRORS and cls not in sl["error"]:
                return ["error: spark raised %s; sluice failed without naming it: %s"
                        % (sp["error"], short(sl["error"].replace("\n", " | "), 200))]
            return []
        return ["error: spark raised %s; sluice gave rows %s"
                % (sp["error"], short([canon_row(r, sl["names"]) for r in sl["rows"]]))]
    if case.error:
        return ["the case expects Spark to raise %s but Spark gave %d rows %s"
                % (case.error, len(sp["rows"]), short(sp["rows"]))]
    if "error" in sl:
        return ["sluice failed: %s" % short(sl["error"].replace("\n", " | "), 300)]
    diffs = []
    if sp["names"] != sl["names"]:
        diffs.append("names: expected %s got %s" % (short(sp["names"]), short(sl["names"])))
    want_types = [sluice_type_name(t) for t in sp["types"]]
    if want_types != sl["types"]:
        diffs.append("types: expected %s got %s" % (short(want_types), short(sl["types"])))
    try:
        exp = [row_values(r, sp["names"]) for r in sp["rows"]]
        got = [row_values(r, sl["names"]) for r in sl["rows"]]
    except ValueError as e:
        return diffs + ["rows: cannot read a row as JSON: %s" % e]
    if not case.ordered:
        exp.sort(key=lambda r: [canon(v) for v in r])
        got.sort(key=lambda r: [canon(v) for v in r])
    if case.approx is not None:
        same = len(exp) == len(got) and all(
            len(a) == len(b) and all(approx_equal(x, y, case.approx) for x, y in zip(a, b))
            for a, b in zip(exp, got))
    else:
        same = [[canon(v) for v in r] for r in exp] == [[canon(v) for v in r] for r in got]
    if not same:
        diffs.append("rows: expected %s got %s" % (
            short(["(" + ", ".join(canon(v) for v in r) + ")" for r in exp]),
            short(["(" + ", ".join(canon(v) for v in r) + ")" for r in got])))
    return diffs


def canon_row(line, names):
    try:
        return "(" + ", ".join(canon(v) for v in row_values(line, names)) + ")"
    except ValueError:
        return line


def shown(res):
    """One result, briefly: its error or its first row with types."""
    if "error" in res:
        return "error " + short(res["error"].split("\n")[0], 160)
    types = [sluice_type_name(t) for t in res["types"]]
    row = canon_row(res["rows"][0], res["names"]) if res["rows"] else "no rows"
    return "%s %s" % (row, "[" + ", ".join("%s: %s" % nt for nt in zip(res["names"], types)) + "]")


# ---------------------------------------------------------------------------
# GAPS.md: per group, how many fail, and one failing case as the example.


def gaps_md(results, path, files):
    groups = {}
    for r in results:
        g = groups.setdefault(r["group"] or "(none)", {"n": 0, "fail": 0, "ex": None})
        g["n"] += 1
        if not r["ok"]:
            g["fail"] += 1
            if g["ex"] is None and "spark" in r and "sluice" in r:
                g["ex"] = r
    total = len(results)
    failing = sum(1 for r in results if not r["ok"])
    with open(path, "w", encoding="utf-8") as f:
        f.write("<!-- tests/spark/GAPS.md - where sluice differs from Spark: the work list of\n"
                "     the SQL issue. Generated by `tests/spark/run.sh --gaps --strict-errors\n"
                "     --gaps-md tests/spark/GAPS.md` from %s;\n"
                "     edit the cases, not this file. -->\n\n"
                % ", ".join("tests/spark/cases/" + os.path.basename(p) for p in files))
        f.write("# Gaps: what Spark gives and sluice does not\n\n")
        f.write("Each row is a group of cases in `tests/spark/cases/gaps.txt`, run in\n"
                "PySpark %s (local mode, UTC) and in `sluice run`. **%d of %d cases fail.**\n"
                "A case passes once sluice gives Spark's column names, types and rows\n"
                "(or fails where Spark raises); move it to `basic.txt` then.\n"
                "The example is the group's first failing case: the expression, then\n"
                "Spark's first row with its `name: type` columns (or its error class),\n"
                "then sluice's.\n\n" % (results[0].get("spark_version", "?") if results else "?",
                                        failing, total))
        unnamed = sum(1 for r in results if any("failed without naming it" in d for d in r["diffs"]))
        if STRICT_ERRORS:
            f.write("Run with `--strict-errors`: where Spark raises, sluice must fail with a\n"
                    "message that names Spark's error class. %d of the failing cases fail\n"
                    "only for that (sluice refuses them, for another reason or without the\n"
                    "class); without `--strict-errors` they pass.\n\n" % unnamed)
        f.write("| group | failing | example | Spark | sluice |\n")
        f.write("| --- | --- | --- | --- | --- |\n")

        def cell(s):
            return s.replace("|", "\\|").replace("\n", " ")
        for name in sorted(groups, key=lambda g: [r["group"] or "(none)" for r in results].index(g)):
            g = groups[name]
            ex = g["ex"]
            if ex:
                f.write("| %s | %d / %d | `%s` | %s | %s |\n" % (
                    cell(name), g["fail"], g["n"], cell(ex["select"]),
                    cell(short(shown(ex["spark"]), 200)), cell(short(shown(ex["sluice"]), 200))))
            else:
                f.write("| %s | %d / %d | | | |\n" % (cell(name), g["fail"], g["n"]))
        f.write("\n## Every failing case\n\n"
                "What differed, as `run.py` prints it (expected is Spark, got is sluice).\n")
        last = None
        for r in results:
            if r["ok"]:
                continue
            if r["group"] != last:
                last = r["group"]
                f.write("\n### %s\n\n| case | SELECT | what differs |\n| --- | --- | --- |\n"
                        % (last or "(none)"))
            sel = r["select"] + (" WHERE " + r["where"] if r["where"] else "")
            f.write("| %s | `%s` | %s |\n" % (cell(r["name"]), cell(sel),
                                              cell(short("; ".join(r["diffs"]), 300))))


# ---------------------------------------------------------------------------


def default_files():
    """Every case file but gaps.txt: basic.txt, sql_part1.txt and the
    function groups' files."""
    d = os.path.join(HERE, "cases")
    return [os.path.join(d, f) for f in sorted(os.listdir(d))
            if f.endswith(".txt") and f != "gaps.txt"]


def main():
    ap = argparse.ArgumentParser(description="sluice against real Spark")
    ap.add_argument("files", nargs="*", help="case files (default: every cases/*.txt but gaps.txt)")
    ap.add_argument("--gaps", action="store_true", help="run cases/gaps.txt")
    ap.add_argument("-k", dest="filter", help="only cases whose name contains this")
    ap.add_argument("--report", help="write every case's results here (JSON)")
    ap.add_argument("--gaps-md", help="write the per-group table (GAPS.md) here")
    ap.add_argument("--verbose", "-v", action="store_true", help="also print passing cases")
    ap.add_argument("--jobs", type=int, default=2, help="sluice processes at once")
    ap.add_argument("--tojson", action="store_true",
                    help="Spark rows through DataFrame.toJSON() (slower; checks the fast path)")
    ap.add_argument("--strict-errors", action="store_true",
                    help="where Spark raises, sluice's error must name Spark's error class")
    ap.add_argument("--spark-threads", type=int, default=min(2, os.cpu_count() or 1),
                    help="Spark cases run at once (sessions of one local SparkContext; "
                    "default: 2, or 1 on one CPU)")
    args = ap.parse_args()
    global TOJSON, STRICT_ERRORS, SPARK_THREADS
    SPARK_THREADS = max(1, args.spark_threads)
    TOJSON = args.tojson
    STRICT_ERRORS = args.strict_errors

    b = os.environ.get("B", "build")
    sluice = os.environ.get("SLUICE", os.path.join(b, "sluice"))
    work = os.path.abspath(os.path.join(b, "spark-test"))
    files = args.files or ([os.path.join(HERE, "cases", "gaps.txt")] if args.gaps else
                           default_files())

    inputs, cases, broken = {"one": ONE}, [], []
    for path in files:
        try:
            parse_case_file(path, inputs, cases)
        except (OSError, CaseFileError) as e:
            broken.append(str(e))
    seen = {}
    for c in cases:
        if c.name in seen:
            broken.append("%s: case '%s' already defined at %s" % (c.where_at, c.name, seen[c.name]))
        seen[c.name] = c.where_at
    if args.filter:
        cases = [c for c in cases if args.filter in c.name]

    t0 = time.time()
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "inputs"))
    indirs = {}
    for name, inp in inputs.items():
        d = os.path.join(work, "inputs", name)
        os.makedirs(d)
        with open(os.path.join(d, "rows.json"), "w", encoding="utf-8") as f:
            f.write("".join(r + "\n" for r in inp.rows))
        indirs[name] = d

    runnable = []
    results = []
    for c in cases:
        if c.input not in inputs:
            results.append({"case": c, "diffs": ["unknown input '%s'" % c.input]})
        else:
            runnable.append(c)

    if not os.access(sluice, os.X_OK):
        broken.append("no sluice binary at %s (set SLUICE)" % sluice)
        sl_res = {c.name: {"error": "no sluice binary", "broken": True} for c in runnable}
    else:
        # sluice's cases run while Spark starts (its JVM is a process of
        # its own), a few processes at once
        pool = concurrent.futures.ThreadPoolExecutor(max(1, args.jobs))
        futs = {c.name: pool.submit(sluice_case, sluice, c, inputs[c.input],
                                    indirs[c.input], work) for c in runnable}

    t1 = time.time()
    spark_version = "?"
    sp_res = {}
    t_start = 0.0
    spark = None
    if runnable:
        try:
            spark, saved, log = start_spark(work)
        except Exception as e:
            for c in runnable:
                sp_res[c.name] = {"error": "SPARK_DID_NOT_START",
                                  "message": "%s: %s" % (type(e).__name__, str(e)[:300])}
    if spark is not None:
        spark_version = spark.version
        try:
            # --spark-threads N: N sessions of the one SparkContext (each its
            # own SQL conf, so its own ANSI mode, and its own views), each
            # running every Nth case
            sessions = [spark] + [spark.newSession() for _ in range(SPARK_THREADS - 1)]
            for ss in sessions:
                ss.conf.set("spark.sql.session.timeZone", "UTC")
            bad_input = {}
            for name, inp in inputs.items():
                if any(c.input == name for c in runnable):
                    try:
                        for ss in sessions:
                            ss.read.schema(inp.ddl).json(indirs[name]).createOrReplaceTempView(name)
                    except Exception as e:
                        bad_input[name] = {"error": "INPUT_UNREADABLE", "message": "input %s: %s"
                                           % (name, first_line(e))}
            t_start = time.time() - t1

            def run_share(k):
                for c in runnable[k::len(sessions)]:
                    sp_res[c.name] = bad_input.get(c.input) or spark_case(sessions[k], c,
                                                                          inputs[c.input])
            if len(sessions) == 1:
                run_share(0)
            else:
                with concurrent.futures.ThreadPoolExecutor(len(sessions)) as ex:
                    for f in [ex.submit(run_share, k) for k in range(len(sessions))]:
                        f.result()
        finally:
            spark.stop()
            os.dup2(saved, 2)
            log.close()
    t_spark = time.time() - t1
    if os.access(sluice, os.X_OK):
        sl_res = {n: f.result() for n, f in futs.items()}
        pool.shutdown()
    ends = [r.get("end", t0) for r in sl_res.values()]
    t_sluice = (max(ends) - t0) if ends else 0.0
    per_case = sum(r.get("secs", 0.0) for r in sl_res.values()) / max(1, len(sl_res))

    for c in runnable:
        results.append({"case": c, "diffs": compare(c, sp_res[c.name], sl_res[c.name]),
                        "spark": sp_res[c.name], "sluice": sl_res[c.name]})
    order = {c.name: i for i, c in enumerate(cases)}
    results.sort(key=lambda r: order[r["case"].name])

    passed = failed = 0
    for r in results:
        c = r["case"]
        if r["diffs"]:
            failed += 1
            print("FAIL %s %s: %s" % (c.where_at, c.name, "; ".join(r["diffs"])))
        else:
            passed += 1
            if args.verbose:
                print("ok   %s %s" % (c.where_at, c.name))
    for b_ in broken:
        failed += 1
        print("FAIL %s" % b_)

    flat = [{"name": r["case"].name, "group": r["case"].group, "select": r["case"].select,
             "where": r["case"].where, "ok": not r["diffs"], "diffs": r["diffs"],
             "spark": r.get("spark"), "sluice": r.get("sluice"),
             "spark_version": spark_version} for r in results]
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump(flat, f, indent=1, ensure_ascii=False)
    if args.gaps_md:
        gaps_md(flat, args.gaps_md, files)
    print("timing: sluice %.1fs for %d cases (%.0f ms per case, validate + run), "
          "spark %.1fs (startup %.1fs), pyspark %s"
          % (t_sluice, len(runnable), per_case * 1000, t_spark, t_start, spark_version),
          file=sys.stderr)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
