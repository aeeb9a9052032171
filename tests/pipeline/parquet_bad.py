"""tests/pipeline/parquet_bad.py - bad Parquet files, for
tests/pipeline/parquet.py (which runs them, with itself as h: its
helpers and TMP): bad magic, a truncated or damaged footer, damaged
pages, an encoding sluice does not read, a damaged DELTA_BINARY_PACKED
header and a dictionary index past its dictionary, each an error naming
the file, the byte offset and what is wrong; files with random bytes
changed, which read or fail with a message, never crash; the source's
mode with a bad file among good ones."""
import json
import os
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq


def bad_file(h, name, data, want):
    src = os.path.join(h.TMP, name + "-in")
    os.makedirs(src)
    with open(os.path.join(src, "bad.parquet"), "wb") as f:
        f.write(data)
    out, sql = h.copy_sql(name, src, schema="i INT, s STRING")
    p = h.run_sluice(sql, name, expect_rc=1)
    path = os.path.join(src, "bad.parquet")
    if path not in p.stderr or want not in p.stderr:
        h.fail("stderr %r lacks %r and the file" % (p.stderr, want))


def reader_bad_files(h):
    buf = pa.BufferOutputStream()
    t, _ = h.arrow_table(200)
    pq.write_table(t, buf, compression="snappy")
    good = buf.getvalue().to_pybytes()
    bad_file(h, "badmagic", b"PAR0" + good[4:],
             "no PAR1 magic at its start (byte 0)")
    bad_file(h, "short", b"PAR1", "too short")
    bad_file(h, "cut", good[:len(good) // 2],
             "no PAR1 magic at its end (byte %d)" % (len(good) // 2 - 4))
    flen = int.from_bytes(good[-8:-4], "little")
    bad_file(h, "footer", good[:-8] + (flen + 100000).to_bytes(4, "little") +
             b"PAR1", "the footer length at byte %d says %d bytes" %
             (len(good) - 8, flen + 100000))
    # The footer's bytes damaged: its Thrift breaks.
    dam = bytearray(good)
    start = len(good) - 8 - flen
    dam[start:start + 40] = b"\xff" * 40
    bad_file(h, "thrift", bytes(dam), "the footer at byte %d (%d bytes): the "
             "footer (FileMetaData) is damaged" % (start, flen))
    # A page's bytes damaged: snappy does not uncompress.
    dam = bytearray(good)
    first = pq.ParquetFile(pa.BufferReader(good)).metadata.row_group(0)
    off = first.column(1).data_page_offset
    dam[off + 30:off + 60] = b"\x00" * 30
    bad_file(h, "page", bytes(dam), "column 'i' (page at byte %d)" % off)
    # An encoding sluice does not read: the first data page header's
    # encoding (DataPageHeader field 2, after num_values) made
    # GROUP_VAR_INT; the error names the page's offset.
    buf = pa.BufferOutputStream()
    sch = pa.schema([pa.field("i", pa.int32(), nullable=False),
                     pa.field("s", pa.string())])
    pq.write_table(pa.table({"i": [1, 2, 3], "s": ["a", "b", "c"]},
                            schema=sch), buf, compression="none",
                   use_dictionary=False, write_page_index=False,
                   column_encoding={"i": "DELTA_BINARY_PACKED"})
    good = buf.getvalue().to_pybytes()
    off = pq.ParquetFile(pa.BufferReader(good)).metadata.row_group(0) \
        .column(0).data_page_offset
    at = good.index(b"\x2c\x15", off) + 2
    while good[at] & 0x80:
        at += 1
    if good[at + 1:at + 3] != b"\x15\x0a":
        h.fail("no DELTA_BINARY_PACKED encoding in the page header")
    dam = bytearray(good)
    dam[at + 2] = 2
    bad_file(h, "encoding", bytes(dam),
             "column 'i' (page at byte %d): page encoding GROUP_VAR_INT "
             "(1) is not supported" % off)
    # A damaged DELTA_BINARY_PACKED header: a block size of 129 values.
    at = good.index(b"\x80\x01\x04\x03\x02", off)
    dam = bytearray(good)
    dam[at] = 0x81
    bad_file(h, "delta", bytes(dam),
             "column 'i' (page at byte %d): the page's DELTA_BINARY_PACKED "
             "values have a header or a bit width out of range" % off)
    # Page checksums (pyarrow's write_page_checksum): files with them read
    # (each codec: the CRC covers the stored bytes), and a value byte
    # changed in an uncompressed page, which would otherwise read as
    # another number, is a CRC mismatch naming the page.
    for codec in h.CODECS:
        buf = pa.BufferOutputStream()
        pq.write_table(t, buf, compression=codec, write_page_checksum=True)
        name = "crc-ok-%s" % codec
        src = os.path.join(h.TMP, name + "-in")
        os.makedirs(src)
        with open(os.path.join(src, "a.parquet"), "wb") as f:
            f.write(buf.getvalue().to_pybytes())
        out, sql = h.copy_sql(name, src)
        h.run_sluice(sql, name)
        if h.read_back(out).num_rows != t.num_rows:
            h.fail("%s: rows lost" % name)
    buf = pa.BufferOutputStream()
    pq.write_table(pa.table({"i": pa.array(range(100), pa.int32()),
                             "s": ["x"] * 100}), buf, compression="none",
                   use_dictionary=False, write_page_checksum=True)
    data = bytearray(buf.getvalue().to_pybytes())
    cm = pq.ParquetFile(pa.BufferReader(bytes(data))).metadata \
        .row_group(0).column(0)
    end = cm.data_page_offset + cm.total_compressed_size
    data[end - 4] ^= 1  # the last value, 99, would read as 98
    bad_file(h, "crc", bytes(data), "column 'i' (page at byte %d): page CRC "
             "mismatch" % cm.data_page_offset)
    # A dictionary index past the dictionary.
    buf = pa.BufferOutputStream()
    pq.write_table(pa.table({"i": pa.array([7] * 100, pa.int32()),
                             "s": ["a"] * 100}), buf, compression="none",
                   use_dictionary=True)
    data = bytearray(buf.getvalue().to_pybytes())
    md = pq.ParquetFile(pa.BufferReader(bytes(data))).metadata
    cm = md.row_group(0).column(0)
    end = cm.data_page_offset + cm.total_compressed_size - \
        (cm.data_page_offset - cm.dictionary_page_offset)
    # The data page's last bytes are its indices' RLE run: the value 7
    # (index 0 at width 0 or 1) becomes index 1.
    data[end - 1] = 1
    bad_file(h, "dictix", bytes(data),
             "dictionary index 1 past the dictionary's 1 values")


def reader_damaged_bytes(h):
    """Files with random bytes changed (a fixed seed: the same files each
    run) read to their end or fail with a message; none crashes."""
    import random
    rnd = random.Random(20261207)
    t, _ = h.arrow_table(300)
    for k in range(60):
        buf = pa.BufferOutputStream()
        dictionary = rnd.random() < 0.5
        # Half the files without a dictionary in the DELTA_* and
        # BYTE_STREAM_SPLIT encodings.
        encs = {"i": "DELTA_BINARY_PACKED", "l": "DELTA_BINARY_PACKED",
                "s": "DELTA_BYTE_ARRAY", "bin": "DELTA_LENGTH_BYTE_ARRAY",
                "d": "BYTE_STREAM_SPLIT"} \
            if not dictionary and rnd.random() < 0.5 else None
        pq.write_table(t, buf, compression=rnd.choice(h.CODECS),
                       use_dictionary=dictionary, column_encoding=encs,
                       data_page_version=rnd.choice(["1.0", "2.0"]),
                       data_page_size=512)
        d = bytearray(buf.getvalue().to_pybytes())
        # Half the files damaged anywhere, half in their second half,
        # where the last pages and the footer are.
        lo = len(d) // 2 if k % 2 else 0
        for _ in range(rnd.randint(1, 8)):
            d[rnd.randrange(lo, len(d))] = rnd.randrange(256)
        src = os.path.join(h.TMP, "damaged-%d" % k)
        os.makedirs(src)
        with open(os.path.join(src, "a.parquet"), "wb") as f:
            f.write(d)
        sql = os.path.join(h.TMP, "damaged-%d.sql" % k)
        with open(sql, "w") as f:
            f.write("""CREATE SOURCE src WITH (format = 'parquet',
  path = '%s', schema = '%s');
CREATE SINK out WITH (format = 'noop', trigger = 'availableNow');
INSERT INTO out SELECT * FROM src;
""" % (src, ", ".join("%s %s" % (c, "INT" if ty in ("TINYINT",
                                                    "SMALLINT") else ty)
                      for c, ty, _ in h.COLUMNS)))
        p = subprocess.run([h.SLUICE, "run", sql], capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
        if p.returncode not in (0, 1) or "Sanitizer" in p.stderr or \
                "runtime error" in p.stderr:
            h.fail("damaged file %d: exit %d: %s" %
                 (k, p.returncode, p.stderr[-1500:]))
        if p.returncode == 1 and "a.parquet" not in p.stderr:
            h.fail("damaged file %d: the error does not name the file: %s" %
                 (k, p.stderr))


def modes_sql(h, name, src, options):
    out = os.path.join(h.TMP, name)
    opts = "".join(", %s = '%s'" % kv for kv in options)
    return out, """
CREATE SOURCE src WITH (format = 'parquet', path = '%s',
  schema = 'i INT, s STRING'%s);
CREATE SINK out WITH (format = 'parquet', path = '%s',
  checkpointLocation = '%s', trigger = 'availableNow');
INSERT INTO out SELECT * FROM src;
""" % (src, opts, out, out + ".ckpt")


def run_progress(h, sql, name, expect_rc):
    path = os.path.join(h.TMP, name + ".sql")
    with open(path, "w") as f:
        f.write(sql)
    p = subprocess.run([h.SLUICE, "run", path, "--progress"],
                       capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    if "Sanitizer" in p.stderr or "runtime error" in p.stderr or \
            p.returncode != expect_rc:
        h.fail("sluice run %s: exit %d: %s" % (name, p.returncode,
                                               p.stderr.strip()))
    return p


def dead_letters(h, dl):
    lines = []
    for f in sorted(os.listdir(dl)):
        with open(os.path.join(dl, f)) as fh:
            lines += [json.loads(x) for x in fh if x.strip()]
    return lines


def reader_bad_file_modes(h):
    """A bad file among good ones: FAILFAST (the default) fails naming it;
    PERMISSIVE, DROPMALFORMED and Spark's ignoreCorruptFiles skip it,
    read the others, count it in the progress (badFilesSkipped) and write
    it to the dead letter; an error that is not the file's bytes (a
    column of another type) fails in every mode."""
    t = pa.table({"i": pa.array(range(40), pa.int32()),
                  "s": ["v%d" % k for k in range(40)]})
    buf = pa.BufferOutputStream()
    pq.write_table(t, buf, compression="snappy")
    good = buf.getvalue().to_pybytes()
    src = os.path.join(h.TMP, "modes-in")
    os.makedirs(src)
    for name, data in (("a", good), ("b", b"PAR0" + good[4:]), ("c", good)):
        with open(os.path.join(src, name + ".parquet"), "wb") as f:
            f.write(data)
    bad = os.path.join(src, "b.parquet")
    for k, opts in enumerate(([("mode", "DROPMALFORMED")],
                              [("mode", "PERMISSIVE")],
                              [("ignoreCorruptFiles", "true")])):
        dl = os.path.join(h.TMP, "modes-dl-%d" % k)
        out, sql = modes_sql(h, "modes-%d" % k, src,
                             opts + [("deadLetterPath", dl)])
        p = run_progress(h, sql, "modes-%d" % k, 0)
        got = h.read_back(out)
        if got.num_rows != 80 or \
                sorted(got.column("i").to_pylist()) != \
                sorted(list(range(40)) * 2):
            h.fail("%s: %d rows read, not the good files' 80" %
                   (opts, got.num_rows))
        if '"badFilesSkipped": "1"' not in p.stderr or \
                '"numFilesRead": "2"' not in p.stderr:
            h.fail("%s: the progress does not count the bad file: %s" %
                   (opts, p.stderr[-2000:]))
        lines = dead_letters(h, dl)
        if len(lines) != 1 or lines[0].get("file") != bad or \
                "no PAR1 magic" not in lines[0].get("reason", "") or \
                "record" in lines[0] or "line" in lines[0]:
            h.fail("%s: dead letter %r" % (opts, lines))
    # FAILFAST, the default: fails naming the file; the dead letter has it.
    dl = os.path.join(h.TMP, "modes-dl-ff")
    out, sql = modes_sql(h, "modes-ff", src, [("deadLetterPath", dl)])
    p = run_progress(h, sql, "modes-ff", 1)
    if bad not in p.stderr or "no PAR1 magic" not in p.stderr:
        h.fail("FAILFAST: %s" % p.stderr)
    if len(dead_letters(h, dl)) != 1:
        h.fail("FAILFAST: the dead letter lacks the file")
    # Not the file's bytes: a column of another type is the query's fault.
    src2 = os.path.join(h.TMP, "modes-type-in")
    os.makedirs(src2)
    pq.write_table(pa.table({"i": ["x"], "s": ["y"]}),
                   os.path.join(src2, "a.parquet"))
    out, sql = modes_sql(h, "modes-type", src2, [("mode", "DROPMALFORMED")])
    p = run_progress(h, sql, "modes-type", 1)
    if "column 'i' is string in the file, and the schema says int" \
            not in p.stderr:
        h.fail("a type mismatch under DROPMALFORMED: %s" % p.stderr)
