#!/usr/bin/env python3
"""unicode_differential.py - SPEC §8 step 1 (normalize, tokenize) written a
second time on Python's unicodedata, compared with `provledger hash --records`
on random Unicode: the normalized SHA-256 and the token count of every record.

usage: unicode_differential.py PROVLEDGER DIR [RECORDS [SEED]]

The reference: every code point is decomposed to the fixed point of
NFKD(casefold(x)) (what utf8proc's DECOMPOSE|COMPAT|CASEFOLD reaches by
recursion); Cc and Cf are dropped except TAB LF VT FF CR NEL, which separate;
tokens are maximal runs of L* and N*, marks continue a token (and are dropped
with none open), the code points of the one-per-token ranges are tokens of
their own; each token is NFC-composed; the normalized text is the tokens
joined by U+0020. Python's unicodedata and the C library may know different
Unicode versions: only code points both assign are drawn (Python's version,
minus what the C side's newer version changed; see NEWER below).

Exit 0 when every record agrees; 1 with the first disagreements printed.
"""
import hashlib
import json
import os
import random
import subprocess
import sys
import unicodedata

SEP_CC = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85}
SINGLE = [(0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x3040, 0x30FF),
          (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
          (0x20000, 0x3FFFF)]


def single(cp):
    return any(lo <= cp <= hi for lo, hi in SINGLE)


# PL_DIFF_BROKEN=1 drops casefolding from the reference, so that a test can
# see this checker fail on a wrong implementation.
BROKEN = os.environ.get("PL_DIFF_BROKEN") == "1"


def full_decompose(ch):
    x = ch
    for _ in range(16):
        y = unicodedata.normalize("NFKD", x if BROKEN else x.casefold())
        if y == x:
            return x
        x = y
    return x


def tokens(text):
    toks, cur, cur_single = [], None, False
    for ch in text:
        for c in full_decompose(ch):
            cp, cat = ord(c), unicodedata.category(c)
            if cat in ("Cc", "Cf"):
                if cp in SEP_CC:
                    cur = None
                continue
            if cat[0] in "LN":
                if single(cp):
                    cur = [c]
                    toks.append(cur)
                    cur_single = True
                elif cur is None or cur_single:
                    cur = [c]
                    toks.append(cur)
                    cur_single = False
                else:
                    cur.append(c)
            elif cat[0] == "M":
                if cur is not None:
                    cur.append(c)
            else:
                cur = None
    return [unicodedata.normalize("NFC", "".join(t)) for t in toks]


def pool():
    """Code points to draw from: (weight, list)."""
    assigned, interesting, marks = [], [], []
    for cp in range(1, 0x110000):
        c = chr(cp)
        cat = unicodedata.category(c)
        if cat in ("Cn", "Cs") or cp in NEWER:
            continue
        assigned.append(c)
        if cat[0] == "M":
            marks.append(c)
        if unicodedata.normalize("NFKD", c) != c or c.casefold() != c:
            interesting.append(c)
    ascii_ = [chr(c) for c in range(0x20, 0x7F)] + ["\t", "\n", "\u00a0", "\u00ad", "\u200b"]
    return [(0.3, interesting), (0.15, marks), (0.25, ascii_), (0.3, assigned)]


# Code points whose properties changed after Unicode 14 (Python 3.11's
# unicodedata) in the versions a newer utf8proc knows; none so far.
NEWER = set()


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    pl, d = argv[1], argv[2]
    n = int(argv[3]) if len(argv) > 3 else 20000
    seed = int(argv[4]) if len(argv) > 4 else 1
    rnd = random.Random(seed)
    groups = pool()
    weights = [w for w, _ in groups]
    records = []
    for _ in range(n):
        k = rnd.randint(0, 24)
        s = "".join(rnd.choice(rnd.choices(groups, weights)[0][1]) for _ in range(k))
        records.append(s)
    path = d + "/unicode.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for s in records:
            f.write(json.dumps({"text": s}, ensure_ascii=False) + "\n")
    out = subprocess.run([pl, "hash", "--records", "--json", path], capture_output=True)
    if out.returncode != 0:
        print("provledger hash failed:", out.stderr.decode(errors="replace")[:500])
        return 1
    got = json.loads(out.stdout)["shards"][0]["record_list"]
    if len(got) != n:
        print(f"provledger listed {len(got)} records, expected {n}")
        return 1
    bad = 0
    for i, s in enumerate(records):
        toks = tokens(s)
        want = hashlib.sha256(" ".join(toks).encode()).hexdigest()
        if got[i]["normalized_sha256"] != want or got[i]["tokens"] != len(toks):
            bad += 1
            if bad <= 5:
                cps = " ".join(f"U+{ord(c):04X}" for c in s)
                print(f"record {i}: {cps}\n  python: {len(toks)} tokens {toks!r}"
                      f"\n  provledger: {got[i]['tokens']} tokens")
    print(f"{n} records of random Unicode (seed {seed}, unicodedata "
          f"{unicodedata.unidata_version}): {n - bad} agree, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
