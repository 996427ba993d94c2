#!/usr/bin/env python3
"""json_differential.py - provledger's two JSON readers against Python's json
on random and mutated documents: each input must be accepted by both or
refused by both, and where accepted give the same strings.

usage: json_differential.py JSON_READ DIR [INPUTS [SEED]]

JSON_READ is tests/tools/json_read (built as build/tools/json_read). Two modes:

  jsonl  the JSONL shard reader (hashing/shard_json.c, our own scanner): one
         line, a JSON object whose top-level "text" is a string, once; no lone
         surrogate escape anywhere; the decoded text must be the same bytes.
         Inputs stay valid UTF-8 (the reader leaves the text's UTF-8 to the
         tokenizer and does not decode other strings, by design).
  json   the ledger's reader (pl_json_parse + pl_json_canonical, on jansson):
         any value; duplicate keys, "\\u0000", lone surrogates, reals and
         integers beyond +-(2^53-1) refused; the canonical bytes must equal
         json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False).
         Mutations here also break UTF-8 at the byte level.

Python's side is json.loads made strict the same way (object_pairs_hook for
duplicates, parse_constant refusing NaN and Infinity). Exit 0 when the two
agree on every input; 1 with the first disagreements printed.
"""
import json
import os
import random
import subprocess
import sys

MAX_SAFE = 2**53 - 1
BLANK = "blank"  # not hex: a blank line, which the reader skips


class Refused(Exception):
    pass


def no_constant(name):
    raise Refused("constant " + name)


def strings_of(v, out):
    if isinstance(v, str):
        out.append(v)
    elif isinstance(v, list):
        for x in v:
            strings_of(x, out)
    elif isinstance(v, dict):
        for k, x in v.items():
            out.append(k)
            strings_of(x, out)
    return out


def has_surrogate(s):
    return any(0xD800 <= ord(c) <= 0xDFFF for c in s)


def ref_jsonl(data):
    """None (refused), BLANK for a blank line, or the text's UTF-8 as hex."""
    text = data.decode("utf-8")
    if text.endswith("\n"):
        text = text[:-1]
    if text.endswith("\r"):
        text = text[:-1]
    if text.strip(" \t") == "":
        return BLANK
    top = []

    def hook(pairs):
        # every pair, before dict() drops a duplicate key's first value
        for k, x in pairs:
            if any(has_surrogate(t) for t in strings_of(x, [k])):
                raise Refused("lone surrogate")
        top.append(pairs)
        return dict(pairs)

    try:
        v = json.loads(text, object_pairs_hook=hook, parse_constant=no_constant)
    except (ValueError, Refused, RecursionError):
        return None
    if not isinstance(v, dict):
        return None
    if any(has_surrogate(s) for s in strings_of(v, [])):
        return None
    fields = [x for k, x in top[-1] if k == "text"]
    if len(fields) != 1 or not isinstance(fields[0], str):
        return None
    return fields[0].encode("utf-8").hex()


def ref_json(data):
    """None (refused) or the canonical bytes as hex."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None

    def hook(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise Refused("duplicate key")
        return dict(pairs)

    try:
        v = json.loads(text, object_pairs_hook=hook, parse_constant=no_constant,
                       parse_float=lambda s: (_ for _ in ()).throw(Refused("real")))
    except (ValueError, Refused, RecursionError):
        return None

    def ok(x, depth):
        if depth > 64:
            return False
        if isinstance(x, bool) or x is None:
            return True
        if isinstance(x, int):
            return -MAX_SAFE <= x <= MAX_SAFE
        if isinstance(x, str):
            return not has_surrogate(x) and "\x00" not in x
        if isinstance(x, list):
            return all(ok(y, depth + 1) for y in x)
        return all(ok(k, depth + 1) and ok(y, depth + 1) for k, y in x.items())

    if not ok(v, 0):
        return None
    return json.dumps(v, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8").hex()


# ---- random documents ------------------------------------------------------

def rand_char(r):
    k = r.random()
    if k < 0.5:
        return chr(r.randint(0x20, 0x7E))
    if k < 0.8:
        while True:
            c = r.randint(0xA0, 0xFFFF)
            if not 0xD800 <= c <= 0xDFFF:
                return chr(c)
    return chr(r.randint(0x10000, 0x10FFFF))


def rand_string(r):
    out = ['"']
    for _ in range(r.randint(0, 12)):
        k = r.random()
        if k < 0.55:
            c = rand_char(r)
            out.append("\\" + c if c in '"\\' else c)
        elif k < 0.7:
            out.append("\\" + r.choice('"\\/bfnrt'))
        elif k < 0.85:
            c = r.choice([r.randint(0, 0x1F), r.randint(0x20, 0xD7FF), r.randint(0xE000, 0xFFFF)])
            out.append(("\\u%04x" if r.random() < 0.5 else "\\u%04X") % c)
        elif k < 0.995:
            c = r.randint(0x10000, 0x10FFFF) - 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF)))
        else:
            out.append("\\u%04x" % r.randint(0xD800, 0xDFFF))  # lone: refused
    out.append('"')
    return "".join(out)


def rand_number(r):
    return r.choice([
        str(r.randint(-1000, 1000)), str(r.randint(-2**53 + 1, 2**53 - 1)),
        str(r.choice([2**53, -2**53, 2**63, 2**64, 10**30])), "-0", "0",
        "%d.%d" % (r.randint(0, 99), r.randint(0, 99)), "%de%d" % (r.randint(1, 9), r.randint(0, 30)),
        "1E+2", "2e-3", "NaN", "Infinity", "-Infinity",
    ])


def ws(r):
    return "".join(r.choice(" \t") for _ in range(r.choice([0, 0, 0, 1, 2])))


def rand_value(r, depth):
    k = r.random()
    if depth > 4 or k < 0.35:
        return rand_string(r)
    if k < 0.55:
        return rand_number(r)
    if k < 0.65:
        return r.choice(["true", "false", "null"])
    if k < 0.8:
        return "[" + ws(r) + ("," + ws(r)).join(rand_value(r, depth + 1) for _ in range(r.randint(0, 4))) + "]"
    return rand_object(r, depth + 1, None)


def rand_object(r, depth, text_field):
    members = []
    for _ in range(r.randint(0, 4)):
        key = rand_string(r) if r.random() < 0.8 else r.choice(['"a"', '"b"', '"text"'])
        members.append(key + ws(r) + ":" + ws(r) + rand_value(r, depth))
    if text_field is not None:
        for _ in range(text_field):
            v = rand_string(r) if r.random() < 0.92 else rand_value(r, depth)
            members.insert(r.randint(0, len(members)), '"text"' + ws(r) + ":" + ws(r) + v)
    return "{" + ws(r) + ("," + ws(r)).join(members) + ws(r) + "}"


def mutate(r, s, bytes_level):
    if bytes_level and r.random() < 0.3:
        b = bytearray(s.encode("utf-8"))
        i = r.randrange(len(b) + 1)
        op = r.random()
        if op < 0.4 and b:
            b[min(i, len(b) - 1)] = r.choice([0x80, 0xBF, 0xC0, 0xC1, 0xE0, 0xED, 0xF4, 0xF5, 0xFF, 0x00])
        elif op < 0.7:
            b[i:i] = r.choice([b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\x00"])
        else:
            del b[i:i + 1]
        return bytes(b)
    i = r.randrange(len(s) + 1)
    op = r.random()
    if op < 0.3:
        s = s[:i] + s[i + 1:]
    elif op < 0.6:
        s = s[:i] + r.choice(list('{}[]",:\\ 0-.eE+tfn') + ["\x01", "\x1f", "\x7f", "\u2028", "\\u", "\\x"]) + s[i:]
    elif op < 0.8:
        s = s[:i]
    else:
        j = r.randrange(len(s) + 1)
        s = s[:i] + s[min(i, j):max(i, j)] + s[i:]
    return s.replace("\n", "").replace("\r", "").encode("utf-8")


def inputs(r, n, mode):
    for _ in range(n):
        if mode == "jsonl":
            k = r.random()
            doc = rand_object(r, 0, 1 if k < 0.85 else (2 if k < 0.92 else 0))
            if r.random() < 0.03:
                doc = rand_value(r, 0)
        else:
            doc = rand_value(r, 0) if r.random() < 0.6 else rand_object(r, 0, None)
        doc = ws(r) + doc + ws(r)
        data = mutate(r, doc, mode == "json") if r.random() < 0.35 else doc.encode("utf-8")
        if mode == "jsonl":
            data += b"\n"
        yield data


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    tool, d = argv[1], argv[2]
    n = int(argv[3]) if len(argv) > 3 else 10000
    seed = int(argv[4]) if len(argv) > 4 else 1
    failed = 0
    for mode, ref in (("jsonl", ref_jsonl), ("json", ref_json)):
        r = random.Random(seed)
        docs = list(inputs(r, n, mode))
        paths = []
        for i, data in enumerate(docs):
            p = os.path.join(d, "%s-%05d" % (mode, i))
            with open(p, "wb") as f:
                f.write(data)
            paths.append(p)
        got = []
        for i in range(0, n, 1000):
            out = subprocess.run([tool, mode] + paths[i:i + 1000], capture_output=True)
            if out.returncode != 0:
                print("json_read failed:", out.stderr.decode(errors="replace")[:300])
                return 1
            got += out.stdout.decode("utf-8", errors="replace").split("\n")[:-1]
        if len(got) != n:
            print(f"{mode}: json_read printed {len(got)} lines for {n} inputs")
            return 1
        acc = bad = 0
        for i, data in enumerate(docs):
            want = ref(data)
            g = got[i]
            if want == BLANK:
                same = g == "ok-empty"
            elif want is None:
                same = g.startswith("err ")
            else:
                same = g == "ok " + want
            acc += want not in (None, BLANK)
            if not same:
                bad += 1
                if bad <= 5:
                    print(f"{mode} input {i}: {data!r}\n  python: "
                          f"{'refused' if want is None else want}\n  provledger: {g[:300]}")
        print(f"{mode}: {n} inputs (seed {seed}; {acc} accepted by Python): "
              f"{n - bad} agree, {bad} differ")
        failed += bad
        for p in paths:
            os.unlink(p)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
