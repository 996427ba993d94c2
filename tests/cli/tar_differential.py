#!/usr/bin/env python3
"""tar_differential.py PROVLEDGER DIR [TAR...] - archives written by Python's
tarfile (ustar, gnu and pax formats; long names and link targets, prefix-split
names, non-ASCII names, directories, symlinks, hard links, sizes around the
512-byte block, gzip), and any TAR given (e.g. made by GNU tar), must give,
through `provledger hash --json --records`, the same regular members, in the
same order, with the same names, sizes and data offsets as tarfile reads back.
Prints one line per archive; exit 1 on any difference."""
import gzip
import io
import json
import os
import subprocess
import sys
import tarfile

pl, out = sys.argv[1], sys.argv[2]


def text(n, seed):
    """n bytes of valid UTF-8 words."""
    words = ["alpha", "beta", "gamma", "delta", "caf\u00e9", "\u65e5\u672c", "omega"]
    s, i, size = [], seed, 0
    while size < n:
        s.append(words[i % len(words)])
        size += len(s[-1].encode()) + 1
        i = (i * 1103515245 + 12345) & 0x7FFFFFFF
    b = " ".join(s).encode()[:n].decode("utf-8", "ignore").encode()
    return b + b"z" * (n - len(b))


def members(fmt):
    long100 = "/".join(["part%02d" % i for i in range(20)]) + "/file.txt"  # prefix split
    long300 = "deep/" + "/".join(["segment%02d" % i for i in range(30)]) + "/x.txt"
    m = [
        ("dir", None, tarfile.DIRTYPE, None),
        ("dir/empty.txt", b"", tarfile.REGTYPE, None),
        ("dir/one.txt", b"x", tarfile.REGTYPE, None),
        ("dir/511.txt", text(511, 1), tarfile.REGTYPE, None),
        ("dir/512.txt", text(512, 2), tarfile.REGTYPE, None),
        ("dir/513.txt", text(513, 3), tarfile.REGTYPE, None),
        ("link", None, tarfile.SYMTYPE, "dir/one.txt"),
        ("hard", None, tarfile.LNKTYPE, "dir/one.txt"),
        (long100, text(1000, 4), tarfile.REGTYPE, None),
        ("big.txt", text(200000, 5), tarfile.REGTYPE, None),
    ]
    if fmt != tarfile.USTAR_FORMAT:
        m += [
            (long300, text(100, 6), tarfile.REGTYPE, None),
            ("longlink", None, tarfile.SYMTYPE, "t/" * 80 + "target"),
            ("caf\u00e9/\u65e5\u672c.txt", text(50, 7), tarfile.REGTYPE, None),
        ]
    return m


def build(fmt):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, data, typ, link in members(fmt):
            ti = tarfile.TarInfo(name)
            ti.type = typ
            ti.mtime = 1700000000
            if link:
                ti.linkname = link
            if data is not None:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            else:
                t.addfile(ti)
    return buf.getvalue()


def python_view(raw):
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        return [(m.name, m.size, m.offset_data) for m in t.getmembers() if m.isreg()]


def ours(path):
    r = subprocess.run([pl, "--json", "hash", "--records", path], capture_output=True)
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace").strip()
    d = json.loads(r.stdout)["shards"][0]
    return [(x["member"], x["length"], x["offset"]) for x in d["record_list"]], d["format"]


def compare(path, raw):
    want = python_view(raw)
    got, info = ours(path)
    if got is None:
        print("FAIL %s: provledger refused it: %s" % (os.path.basename(path), info))
        return 1
    if got != want or info != "tar":
        print("FAIL %s: members differ" % os.path.basename(path))
        for a, b in zip(want + [None] * len(got), got + [None] * len(want)):
            if a != b:
                print("    python %r\n    ours   %r" % (a, b))
                break
        return 1
    print("ok %s: %d regular members, names, sizes and offsets as tarfile reads them"
          % (os.path.basename(path), len(want)))
    return 0


fails = 0
cases = [("ustar", tarfile.USTAR_FORMAT), ("gnu", tarfile.GNU_FORMAT), ("pax", tarfile.PAX_FORMAT)]
for label, fmt in cases:
    raw = build(fmt)
    for comp in ("", ".gz"):
        path = os.path.join(out, "py-%s.tar%s" % (label, comp))
        with open(path, "wb") as f:
            f.write(gzip.compress(raw, mtime=0) if comp else raw)
        fails += compare(path, raw)
for path in sys.argv[3:]:
    with open(path, "rb") as f:
        fails += compare(path, f.read())
sys.exit(1 if fails else 0)
