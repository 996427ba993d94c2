#!/usr/bin/python3
"""parquet_gen.py ROWS OUT.parquet [OUT.jsonl] - a large Parquet file for the
memory and throughput checks of parquet.sh: one required UTF8 column "text",
PLAIN, uncompressed data pages v1 of about 1 MiB, row groups of 1,000 rows
then 20,000;
ROWS rows of pseudo-prose (seeded), and the same rows as JSONL when asked.
The reader's correctness is tested against files of independent writers
(tests/fixtures/parquet); this one only makes volume, with no dependency."""
import json
import random
import struct
import sys


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zz(v):
    return varint((v << 1) ^ (v >> 63))


class W:
    """Thrift compact protocol: just what the footer and page headers need."""

    def __init__(self):
        self.b = bytearray()
        self.last = [0]

    def field(self, fid, t):
        d = fid - self.last[-1]
        if 0 < d <= 15:
            self.b.append(d << 4 | t)
        else:
            self.b.append(t)
            self.b += zz(fid)
        self.last[-1] = fid

    def i32(self, fid, v):
        self.field(fid, 5)
        self.b += zz(v)

    def i64(self, fid, v):
        self.field(fid, 6)
        self.b += zz(v)

    def string(self, fid, s):
        self.field(fid, 8)
        s = s.encode()
        self.b += varint(len(s)) + s

    def begin(self, fid=None):
        if fid is not None:
            self.field(fid, 12)
        self.last.append(0)

    def end(self):
        self.b.append(0)
        self.last.pop()

    def list(self, fid, et, n):
        self.field(fid, 9)
        if n < 15:
            self.b.append(n << 4 | et)
        else:
            self.b.append(0xF0 | et)
            self.b += varint(n)


def page_header(size, n):
    w = W()
    w.i32(1, 0)
    w.i32(2, size)
    w.i32(3, size)
    w.begin(5)
    w.i32(1, n)
    w.i32(2, 0)
    w.i32(3, 3)
    w.i32(4, 3)
    w.end()
    w.b.append(0)
    return bytes(w.b)


def main():
    rows, out = int(sys.argv[1]), sys.argv[2]
    jl = open(sys.argv[3], "w") if len(sys.argv) > 3 else None
    r = random.Random(16)
    syl = ["ka", "ro", "ne", "mi", "tu", "sel", "dar", "vo", "lin", "pe", "qua", "zen"]
    vocab = ["".join(r.choice(syl) for _ in range(r.randint(1, 3))) for _ in range(3000)]
    f = open(out, "wb")
    f.write(b"PAR1")
    groups = []
    done = 0
    while done < rows:
        # a small first row group: the next one is larger
        gn = min(1000 if not groups else 20000, rows - done)
        start = f.tell()
        page, pn = bytearray(), 0
        for i in range(gn):
            text = " ".join(r.choice(vocab) for _ in range(r.randint(50, 250))) + "."
            if jl:
                jl.write(json.dumps({"text": text}) + "\n")
            t = text.encode()
            page += struct.pack("<I", len(t)) + t
            pn += 1
            if len(page) >= 1 << 20 or i == gn - 1:
                f.write(page_header(len(page), pn) + page)
                page, pn = bytearray(), 0
        groups.append((start, f.tell() - start, gn))
        done += gn
    w = W()
    w.i32(1, 1)
    w.list(2, 12, 2)
    w.begin()
    w.string(4, "schema")
    w.i32(5, 1)
    w.end()
    w.begin()
    w.i32(1, 6)
    w.i32(3, 0)
    w.string(4, "text")
    w.i32(6, 0)
    w.end()
    w.i64(3, rows)
    w.list(4, 12, len(groups))
    for start, size, gn in groups:
        w.begin()
        w.list(1, 12, 1)
        w.begin()
        w.i64(2, start)
        w.begin(3)
        w.i32(1, 6)
        w.list(2, 5, 1)
        w.b += zz(0)
        w.list(3, 8, 1)
        w.b += varint(4) + b"text"
        w.i32(4, 0)
        w.i64(5, gn)
        w.i64(6, size)
        w.i64(7, size)
        w.i64(9, start)
        w.end()
        w.end()
        w.i64(2, size)
        w.i64(3, gn)
        w.end()
    w.b.append(0)
    f.write(bytes(w.b) + struct.pack("<I", len(w.b)) + b"PAR1")
    f.close()


main()
