#!/usr/bin/env python3
"""layers.py [BUILD] - check that the library's rooms keep the one-way flow.

    hashing -> ledger/formats -> ledger/log -> ledger/registry -> ledger/lineage
            -> ledger/evidence -> ledger/ (the list of index extensions) -> net -> cli

Two rules, both printed when broken (exit 1):
  1. includes: a file includes headers of its own room, and the public headers
     (pl_*.h) of rooms below it; never another room's private header, never a
     room above. cli/ includes public headers only.
  2. calls (with BUILD, the build directory holding the objects): no object
     of a room refers to a symbol defined in a room above it, except the log's
     one reference to pl_index__exts, the list that ledger/index_ext.c makes
     of the modules above the log (the callback that keeps the log unaware
     of them).
Unit tests and fuzz harnesses may include private headers (white-box).
"""
import os
import re
import subprocess
import sys

ORDER = ["hashing", "ledger/formats", "ledger/log", "ledger/registry", "ledger/lineage",
         "ledger/evidence", "ledger", "net", "cli"]
ALLOWED_UP = {("ledger/log", "pl_index__exts")}


def room_of(path):
    d = os.path.dirname(path)
    return d if d in ORDER else None


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(top)
    build = sys.argv[1] if len(sys.argv) > 1 else None
    headers = {}  # name -> room
    files = []
    for r in ORDER:
        for f in sorted(os.listdir(r)):
            p = os.path.join(r, f)
            if os.path.isfile(p) and f.endswith((".c", ".h")):
                files.append(p)
                if f.endswith(".h"):
                    if f in headers:
                        print("two headers named %s: %s and %s" % (f, headers[f], r))
                    headers[f] = r
    bad = 0
    for p in files:
        r = room_of(p)
        for n, line in enumerate(open(p, encoding="utf-8"), 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            h = m.group(1)
            hr = headers.get(h)
            if hr is None:
                print("%s:%d: includes %s, which no room holds" % (p, n, h))
                bad += 1
            elif hr == r:
                continue
            elif ORDER.index(hr) > ORDER.index(r):
                print("%s:%d: includes %s of %s, a room above %s" % (p, n, h, hr, r))
                bad += 1
            elif not h.startswith("pl_"):
                print("%s:%d: includes %s, a private header of %s" % (p, n, h, hr))
                bad += 1
    if build:
        defs, refs = {}, []
        for r in ORDER[:-1]:
            od = os.path.join(build, r)
            if not os.path.isdir(od):
                continue
            for f in sorted(os.listdir(od)):
                if not f.endswith(".o") or not os.path.isfile(os.path.join(r, f[:-2] + ".c")):
                    continue  # not an object, or a stale one (its source moved)
                o = os.path.join(od, f)
                out = subprocess.run(["nm", o], capture_output=True, text=True).stdout
                for line in out.splitlines():
                    parts = line.split()
                    if len(parts) == 3 and parts[1] in "TDRB":
                        defs[parts[2]] = r
                    elif len(parts) == 2 and parts[0] == "U":
                        refs.append((r, f, parts[1]))
        if not defs:
            print("no objects under %s: build first" % build)
            bad += 1
        for r, f, sym in refs:
            dr = defs.get(sym)
            if dr and ORDER.index(dr) > ORDER.index(r) and (r, sym) not in ALLOWED_UP:
                print("%s/%s calls %s, defined in %s above it" % (r, f, sym, dr))
                bad += 1
    print("layers: %s (%d files in %d rooms)" % ("ok" if not bad else "%d problems" % bad,
                                                  len(files), len(ORDER)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
