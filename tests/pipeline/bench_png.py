"""tests/pipeline/bench_png.py FILE.png - checks a `sluice bench --plot`
picture with Python's own zlib and CRC-32 (an independent reader of the
PNG format): the signature, every chunk's CRC, an RGB IHDR, the IDAT
inflating to exactly one filter byte and three bytes a pixel per row, and
the curves drawn: pixels of the end-to-end p99 red, the p50 blue and the
publish green are there."""
import binascii
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
pos, chunks = 8, []
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
    assert binascii.crc32(kind + body) == crc, "bad CRC in %r" % kind
    chunks.append((kind, body))
    pos += 12 + n
kinds = [k for k, _ in chunks]
assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds, kinds
w, h, depth, color = struct.unpack(">IIBB", chunks[0][1][:10])
assert depth == 8 and color == 2, "not 8-bit RGB"
raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
assert len(raw) == h * (1 + 3 * w), "IDAT is %d bytes, not %d" % (len(raw), h * (1 + 3 * w))
count = {}
for y in range(h):
    row = raw[y * (1 + 3 * w):(y + 1) * (1 + 3 * w)]
    assert row[0] == 0, "row %d has filter %d" % (y, row[0])
    for x in range(w):
        px = row[1 + 3 * x:4 + 3 * x]
        count[px] = count.get(px, 0) + 1
for name, rgb in (("red", b"\xd6\x27\x28"), ("blue", b"\x1f\x77\xb4"), ("green", b"\x2c\xa0\x2c")):
    assert count.get(rgb, 0) > 200, "only %d %s pixels" % (count.get(rgb, 0), name)
print("bench_png: %dx%d RGB, %d chunks, curves drawn" % (w, h, len(chunks)))
