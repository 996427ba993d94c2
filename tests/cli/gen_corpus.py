#!/usr/bin/python3
"""gen_corpus.py - the seeded, reproducible accuracy corpus for `check`.

  gen_corpus.py gen DIR [--seed N] [--scale S]   write works, import list, shards, truth
  gen_corpus.py eval DIR REPORT.json [--robust]  score one `check --json` report
  gen_corpus.py prose NWORDS SEED                 print NWORDS words of prose

Everything is synthetic: a pseudo-English vocabulary of syllable words drawn
with a Zipf law, so no third-party text (and no licence question) is involved.

`gen` writes into DIR:
  works/wNNN.txt, works.jsonl   the works and the `work import` list
  shard-a.jsonl                 JSONL, raw UTF-8 (ensure_ascii=False)
  shard-b.jsonl.gz              JSONL, every non-ASCII escaped (\\u00e9, surrogate pairs)
  shard-c.jsonl.zst             JSONL, escaped, with extra fields around "text"
  shard-d.tar                   tar, one .txt member per record
  truth.json                    what each record holds

`eval` prints the recall / precision table and one line per assertion:
  PASS name            or   FAIL name: detail   or   KNOWN name: detail (a known bug)
coverage lines "COVERAGE ..." (reported / planted work span) and, per edited
category, "OVERLAP ..." (planted and reported spans overlapping by >= 90% both
ways, in work tokens and record bytes). Exit 0 always (the shell decides).
"""
import bisect
import functools
import gzip
import io
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import unicodedata

# ---------------------------------------------------------------- tokenizer
# SPEC §8.1 for the characters this corpus uses: NFKC + case folding, Cf/Cc
# dropped, tokens are runs of L*/N* (M* continues). Offsets are UTF-8 bytes of
# the original text.


def _kind(ch):
    cat = unicodedata.category(ch)
    if cat[0] in "LN":
        return "t"
    if cat[0] == "M":
        return "m"
    return "s"


_CH = {}


def _char(ch):
    """(drop, [(kind, char)]) of one code point, memoized."""
    v = _CH.get(ch)
    if v is None:
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Cc") and ch not in "\n\t\r":
            v = (True, ())
        else:
            v = (False, tuple((_kind(c), c) for c in unicodedata.normalize("NFKC", ch)))
        _CH[ch] = v
    return v


_SIMPLE = set("\n\t\r" + "".join(chr(c) for c in range(0x20, 0x7F)) + "\u00e9\u00c9")
_SIMPLE_RE = re.compile(rb"(?:[A-Za-z0-9]|\xc3\xa9|\xc3\x89)+")


def tokenize(text):
    """[(token, byte_start, byte_end)] of text (a str)."""
    if set(text) <= _SIMPLE:  # fast path: ASCII and é only
        return [(m.group().decode().lower().replace("\u00c9", "\u00e9"), m.start(), m.end())
                for m in _SIMPLE_RE.finditer(text.encode())]
    out = []
    cur = []
    start = end = 0
    pos = 0
    for ch in text:
        blen = 1 if ch < "\x80" else len(ch.encode("utf-8"))
        drop, parts = _char(ch)
        if drop:
            pos += blen
            continue
        for k, c in parts:
            if k == "t" or (k == "m" and cur):
                if not cur:
                    start = pos
                cur.append(c)
                end = pos + blen
            elif cur:
                out.append((_norm_tok("".join(cur)), start, end))
                cur = []
        pos += blen
    if cur:
        out.append((_norm_tok("".join(cur)), start, end))
    return out


@functools.lru_cache(maxsize=200000)
def _norm_tok(s):
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", s).casefold())


def words_of(text):
    return [t for t, _, _ in tokenize(text)]


# ---------------------------------------------------------------- vocabulary
ONSETS = ["", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v",
          "w", "y", "z", "br", "ch", "cl", "dr", "fl", "gr", "pl", "pr", "sh", "sl", "st", "th",
          "tr", "wh"]
VOWELS = ["a", "e", "i", "o", "u", "ea", "ou", "ai", "oo", "ie"]
CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ng", "ck", "rd"]


class Vocab:
    def __init__(self, rng, n=6000, reserved=600):
        seen = set()
        words = []
        while len(words) < n + reserved:
            nsyl = rng.choice([1, 1, 1, 2, 2, 2, 2, 3, 3, 4])
            w = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)
                        for _ in range(nsyl))
            if rng.random() < 0.02:
                w = w.replace("e", "\u00e9", 1)  # café-like words
            if len(w) < 2 or w in seen:
                continue
            seen.add(w)
            words.append(w)
        # A few short function words at the top of the Zipf ranks.
        top = ["the", "of", "and", "to", "a", "in", "is", "was", "he", "it", "that", "for",
               "on", "with", "as", "his", "at", "by", "she", "her"]
        self.words = top + [w for w in words[:n] if w not in top]
        # Words never used in works: put next to excerpts and phrases so the
        # words around an embedded excerpt never continue the work's text.
        self.reserved = words[n:n + reserved]
        acc = 0.0
        self.cum = []
        for r in range(len(self.words)):
            acc += 1.0 / (r + 1) ** 1.05
            self.cum.append(acc)

    def word(self, rng):
        return self.words[bisect.bisect_left(self.cum, rng.random() * self.cum[-1])]

    def fresh(self, rng):  # next to excerpts and phrases in shard records
        return rng.choice(self.reserved[:200])

    def border(self, rng, work):  # next to phrases in work number `work`: 5 words of its own
        return rng.choice(self.reserved[200 + 5 * (work % 80):205 + 5 * (work % 80)])


def sentence_words(rng, vocab, n):
    return [vocab.word(rng) for _ in range(n)]


def render(rng, words, width=72, dialog=True, possessive=True):
    """Words → prose: sentences, commas, apostrophes, quotes, wrapped lines and
    paragraphs. Every word stays one token (apostrophe forms add a token 's',
    which the caller re-tokenizes anyway; possessive=False leaves them out, so
    that an edited excerpt holds exactly the edits it is labelled with)."""
    out_par = []
    par = []
    i = 0
    nsent = 0
    while i < len(words):
        n = min(len(words) - i, rng.randint(5, 24))
        s = words[i:i + n]
        i += n
        s = list(s)
        s[0] = s[0][:1].upper() + s[0][1:]
        for j in range(1, len(s) - 1):
            r = rng.random()
            if r < 0.08:
                s[j] += ","
            elif r < 0.10:
                s[j] += "'s" if possessive else ""
            elif r < 0.11:
                s[j] += ";"
        txt = " ".join(s) + rng.choice([".", ".", ".", ".", "!", "?"])
        if dialog and rng.random() < 0.15:
            txt = '"' + txt + '"'
        par.append(txt)
        nsent += 1
        if rng.random() < 0.2:
            out_par.append(" ".join(par))
            par = []
    if par:
        out_par.append(" ".join(par))
    lines = []
    for p in out_par:
        line = ""
        for w in p.split(" "):
            if line and len(line) + 1 + len(w) > width:
                lines.append(line)
                line = w
            else:
                line = line + " " + w if line else w
        if line:
            lines.append(line)
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------- transforms
FULLWIDTH = {c: chr(ord(c) - 0x21 + 0xFF01) for c in
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"}
LIGS = [("ffi", "\ufb03"), ("ffl", "\ufb04"), ("ff", "\ufb00"), ("fi", "\ufb01"),
        ("fl", "\ufb02"), ("st", "\ufb06")]
MATH_BOLD_A = 0x1D400  # 𝐀.. : letters outside the BMP (surrogate pairs in JSON)


def t_case(rng, s):
    out = []
    for w in s.split(" "):
        r = rng.random()
        out.append(w.upper() if r < 0.2 else w.title() if r < 0.4 else w.lower() if r < 0.5
                   else w)
    return " ".join(out)


def t_space(rng, s):
    out = []
    for ch in s:
        if ch == " ":
            out.append(rng.choice([" ", "  ", "\t", " \t ", "   "]))
        elif ch == "\n":
            out.append(rng.choice(["\n", "\r\n", "\n\n", " \n  "]))
        else:
            out.append(ch)
    return "".join(out)


def t_reflow(rng, s):
    words = s.split()
    width = rng.choice([30, 50, 100, 1000000])
    lines, line = [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = line + " " + w if line else w
    lines.append(line)
    return "\n".join(lines)


def t_quotes(rng, s):
    out = []
    dq = False
    for ch in s:
        if ch == '"':
            out.append("\u201d" if dq else "\u201c")
            dq = not dq
        elif ch == "'":
            out.append("\u2019")
        elif ch == " " and rng.random() < 0.3:
            out.append("\u00a0")
        else:
            out.append(ch)
    return "".join(out)


def t_glyphs(rng, s):
    # ligatures, full-width letters, soft hyphens, math-bold capitals
    out = []
    for w in s.split(" "):
        r = rng.random()
        if r < 0.3:
            for a, b in LIGS:
                w = w.replace(a, b)
        elif r < 0.4:
            w = "".join(FULLWIDTH.get(c, c) for c in w)
        elif r < 0.45 and len(w) > 3 and w[1].isalpha() and w[2].isalpha():
            w = w[:2] + "\u00ad" + w[2:]
        elif r < 0.5 and w[:1].isascii() and w[:1].isalpha():
            c = w[0].upper()
            w = chr(MATH_BOLD_A + ord(c) - ord("A")) + w[1:]
        out.append(w)
    return " ".join(out)


TRANSFORMS = {"case": t_case, "whitespace": t_space, "reflow": t_reflow, "quotes+nbsp": t_quotes,
              "ligature+fullwidth": t_glyphs}


def t_all(rng, s):
    for name in ("reflow", "case", "quotes+nbsp", "glyphs", "whitespace"):
        s = {"glyphs": t_glyphs}.get(name, TRANSFORMS.get(name))(rng, s)
    return s


TRANSFORMS["all"] = t_all


# ---------------------------------------------------------------- generation
def gen(d, seed, scale):
    rng = random.Random(seed)
    vocab = Vocab(rng)
    phrases = []
    for _ in range(40):
        n = rng.randint(4, 10)  # with a border word each side: < 13
        phrases.append(" ".join(vocab.word(rng) for _ in range(n)))
    nworks = max(6, int(40 * scale))
    os.makedirs(os.path.join(d, "works"), exist_ok=True)
    works = []
    with open(os.path.join(d, "works.jsonl"), "w") as imp:
        for i in range(nworks):
            n = rng.randint(2000, int(2000 + 18000 * min(1.0, scale)))
            ws = []
            while len(ws) < n:
                ws.extend(sentence_words(rng, vocab, rng.randint(40, 300)))
                # A common stock phrase (4-10 words) between words no other
                # work and no record uses: works share runs of at most 10 words,
                # a work repeats runs of at most 12.
                ws.append(vocab.border(rng, i))
                ws.append("\x00" + rng.choice(phrases))
                ws.append(vocab.border(rng, i))
            text = render(rng, [w.replace("\x00", "") for w in ws])
            path = "works/w%03d.txt" % i  # relative to DIR: run `work import` there
            with open(os.path.join(d, path), "w", encoding="utf-8") as f:
                f.write(text)
            toks = tokenize(text)
            works.append({"path": path, "text": text, "toks": toks})
            imp.write(json.dumps({"path": path, "title": "Work %d" % i,
                                  "creators": ["Author %d" % (i % 7)], "holder": "Holder %d" %
                                  (i % 3)}) + "\n")
    # records: {text, cat, parts: [{work, wspan, ex (byte range in text, if known), edited}]}
    records = []

    def filler(n):
        return render(rng, sentence_words(rng, vocab, n), width=rng.choice([60, 80]), dialog=False)

    def embed(pieces, cat, place=None):
        """pieces: [(excerpt text, work, w0, w1, edited)], set in unrelated text;
        place "start", "end" or "whole" puts them at the record's start, end or
        both (nothing before, after or either), None anywhere."""
        pre_n = rng.choice([0, rng.randint(5, 300)])
        suf_n = rng.choice([0, rng.randint(5, 300)])
        if place in ("start", "whole"):
            pre_n = 0
        if place in ("end", "whole"):
            suf_n = 0
        text = filler(pre_n) + " " + vocab.fresh(rng) + ". " if pre_n else ""
        if not pre_n and rng.random() < 0.5 and place not in ("start", "whole"):
            text = vocab.fresh(rng) + " "
        parts = []
        for j, (ex, wi, w0, w1, edited) in enumerate(pieces):
            if j:
                text += " " + vocab.fresh(rng) + " " + filler(rng.randint(5, 100)) + " " + \
                    vocab.fresh(rng) + " "
            b0 = len(text.encode())
            text += ex
            parts.append({"work": wi, "wspan": [w0, w1], "ex": [b0, len(text.encode())],
                          "edited": edited})
        if suf_n:
            text += " " + vocab.fresh(rng) + " " + filler(suf_n)
        records.append({"text": text, "cat": cat, "parts": parts})

    def pick(n):
        while True:
            wi = rng.randrange(nworks)
            toks = works[wi]["toks"]
            if len(toks) > n + 2:
                i = rng.randint(0, len(toks) - n)
                return wi, i

    def cut(wi, i, n):
        w = works[wi]
        toks = w["toks"]
        raw = w["text"].encode()
        return raw[toks[i][1]:toks[i + n - 1][2]].decode()

    # exact copies, then normalized-equal copies
    for wi, w in enumerate(works):
        records.append({"text": w["text"], "cat": "exact copy", "parts": [
            {"work": wi, "ex": [0, len(w["text"].encode())], "wspan": [0, len(w["toks"])]}]})
    names = list(TRANSFORMS)
    for wi, w in enumerate(works):
        tname = names[wi % len(names)]
        records.append({"text": TRANSFORMS[tname](rng, w["text"]), "cat": "copy: " + tname,
                        "parts": [{"work": wi, "wspan": [0, len(w["toks"])]}]})
    nex = max(12, int(60 * scale))
    # verbatim excerpts in unrelated text, at random positions of the work and
    # the record, at the work's start and end, at the record's start, end or
    # as the whole record (every combination, j mod 12); half re-glyphed
    for n in (50, 60, 120, 400):
        for j in range(nex):
            wi, i = pick(n)
            if j % 3 == 1:
                i = 0
            elif j % 3 == 2:
                i = len(works[wi]["toks"]) - n
            ex = cut(wi, i, n)
            if (j // 4) % 2:
                ex = rng.choice([t_quotes, t_glyphs, t_case, t_space])(rng, ex)
            embed([(ex, wi, i, i + n, False)], "excerpt %d" % n,
                  [None, "start", "end", "whole"][j % 4])
    # two excerpts in one record: of two works, or of one work far apart
    for j in range(nex // 2):
        wi, i = pick(100)
        wj, k = pick(100)
        if j % 3 == 0:
            wj = wi
            k = (i + 1000) % max(1, len(works[wi]["toks"]) - 100)
        embed([(cut(wi, i, 100), wi, i, i + 100, False), (cut(wj, k, 100), wj, k, k + 100, False)],
              "two excerpts 100")
    # edited excerpts
    for n in (200, 500):
        for rate in (2, 5):
            # 60 of each at any scale: the overlap assertion is a share
            for j in range(60):
                wi, i = pick(n)
                toks = [t for t, _, _ in works[wi]["toks"][i:i + n]]
                nedit = max(1, round(n * rate / 100))
                pos = sorted(rng.sample(range(n), nedit), reverse=True)
                for p in pos:
                    r = rng.random()
                    if r < 0.7:
                        nw = toks[p]
                        while nw == toks[p]:
                            nw = vocab.word(rng)
                        toks[p] = nw
                    elif r < 0.85:
                        del toks[p]
                    else:
                        toks.insert(p, vocab.word(rng))
                embed([(render(rng, toks, dialog=False, possessive=False), wi, i, i + n, True)],
                      "edited %d%% %d" % (rate, n))
    # probes: shared runs shorter than min_tokens (50). SPEC §8.4 reports a
    # partial match only for a verified span of at least --min-tokens.
    for n in (13, 20, 30, 40, 49):
        for j in range(nex):
            wi, i = pick(n)
            embed([(cut(wi, i, n), wi, i, i + n, False)], "probe: shared run %d" % n)
    # negatives
    nneg = max(10, int(40 * scale))
    for _ in range(nneg):
        records.append({"text": filler(rng.randint(100, 3000)), "cat": "neg: unrelated"})
    for _ in range(nneg):
        parts = []
        for _ in range(rng.randint(10, 40)):
            parts.append(filler(rng.randint(3, 30)).strip() + " " + vocab.fresh(rng) + ", " +
                         rng.choice(phrases) + ", " + vocab.fresh(rng))
        records.append({"text": "\n".join(parts), "cat": "neg: common phrases"})
    for j in range(nneg):
        wi = j % nworks
        ws = words_of(works[wi]["text"])
        if j % 2:
            i = rng.randint(0, max(0, len(ws) - 2000))
            ws = ws[i:i + 2000]
        rng.shuffle(ws)
        records.append({"text": render(rng, ws), "cat": "neg: shuffled work"})
    rng.shuffle(records)
    # shards
    shard_names = ["shard-a.jsonl", "shard-b.jsonl.gz", "shard-c.jsonl.zst", "shard-d.tar"]
    per = {s: [] for s in shard_names}
    for i, r in enumerate(records):
        s = shard_names[i % 4]
        r["shard"] = s
        r["record"] = len(per[s])
        per[s].append(r)
    for s, rs in per.items():
        path = os.path.join(d, s)
        if s.endswith(".tar"):
            with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tf:
                for j, r in enumerate(rs):
                    data = r["text"].encode()
                    ti = tarfile.TarInfo("%06d.txt" % j)
                    ti.size = len(data)
                    ti.mtime = 1700000000
                    tf.addfile(ti, io.BytesIO(data))
            continue
        lines = []
        for j, r in enumerate(rs):
            if s.startswith("shard-a"):
                lines.append(json.dumps({"text": r["text"]}, ensure_ascii=False))
            elif s.startswith("shard-b"):
                lines.append(json.dumps({"id": j, "text": r["text"]}))
            else:
                lines.append(json.dumps({"id": "doc-%d" % j, "meta": {"text": "decoy"},
                                         "text": r["text"], "url": "http://x/%d" % j}))
        data = ("\n".join(lines) + "\n").encode()
        if s.endswith(".gz"):
            with gzip.GzipFile(path, "wb", mtime=0) as f:
                f.write(data)
        elif s.endswith(".zst"):
            subprocess.run(["zstd", "-q", "-f", "-o", path], input=data, check=True)
        else:
            with open(path, "wb") as f:
                f.write(data)
    with open(os.path.join(d, "truth.json"), "w") as f:
        json.dump({"works": [w["path"] for w in works], "shards": shard_names,
                   "records": [{k: v for k, v in r.items() if k != "text"} for r in records]},
                  f)
    print("%d works, %d records (%d words in works)" %
          (nworks, len(records), sum(len(w["toks"]) for w in works)))


# ---------------------------------------------------------------- evaluation
def read_stream(path):
    raw = open(path, "rb").read()
    if path.endswith(".gz"):
        return gzip.decompress(raw)
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-q", "-d", "-c"], input=raw, stdout=subprocess.PIPE,
                              check=True).stdout
    return raw


def record_texts(path, stream):
    """[(text_bytes, record_start_in_stream)] and whether JSONL."""
    if path.endswith(".tar"):
        out = []
        with tarfile.open(fileobj=io.BytesIO(stream)) as tf:
            for m in tf.getmembers():
                out.append((tf.extractfile(m).read(), m.offset_data))
        return out, False
    out = []
    pos = 0
    for line in stream.split(b"\n"):
        if line.strip():
            out.append((json.loads(line)["text"].encode(), pos))
        pos += len(line) + 1
    return out, True


def evaluate(d, report_path, robust):
    import hashlib
    truth = json.load(open(os.path.join(d, "truth.json")))
    rep = json.load(open(report_path))
    work_toks = [words_of(open(os.path.join(d, p), encoding="utf-8").read())
                 for p in truth["works"]]
    # work ids as SPEC §6.2 defines them, from this tokenizer: a wrong id
    # (tokenizer disagreement) would show up as false matches
    ids = ["W" + hashlib.sha256(" ".join(t).encode()).hexdigest()[:16] for t in work_toks]
    widx = {w: i for i, w in enumerate(ids)}
    recs = {(r["shard"], r["record"]): r for r in truth["records"]}
    streams, texts, isjson, rtoks = {}, {}, {}, {}
    for s in truth["shards"]:
        streams[s] = read_stream(os.path.join(d, s))
        texts[s], isjson[s] = record_texts(s, streams[s])
    fails, false_matches, probe_hits, chained = [], [], [], []
    found = set()  # (shard, record, part index)
    nmatches = {}  # (shard, record) -> matches
    cover = {}
    overlap = {}
    nmatch_ok = 0
    for m in rep["matches"]:
        s = os.path.basename(m["shard"])
        key = (s, m["record"])
        r = recs.get(key)
        wi = widx.get(m["work"], -1)
        where = "%s record %d %s %s %s span %s" % (s, m["record"], m["work"], m["class"],
                                                   m["matched_tokens"], m["work_span"])
        if r is None:
            fails.append("unknown record: " + where)
            continue
        off, ln, so, sl = m["offset"], m["length"], m["stream_offset"], m["stream_length"]
        ws0, ws1 = m["work_span"]
        parts = [(j, p) for j, p in enumerate(r.get("parts", [])) if p["work"] == wi and
                 ("ex" not in p or (off < p["ex"][1] and off + ln > p["ex"][0]))]
        if not parts:
            if m["matched_tokens"] < ws1 - ws0:
                # hits of short common phrases up to 4(w+k) tokens apart, chained
                # into one "verified" span that is mostly unverified
                chained.append("%s (%s)" % (where, r["cat"]))
            false_matches.append("%s (%s)" % (where, r["cat"]))
            continue
        if r["cat"].startswith("probe"):
            probe_hits.append((r["cat"], where))
            continue
        j, part = parts[0]
        nmatches[key] = nmatches.get(key, 0) + 1
        text, rstart = texts[s][m["record"]]
        problems = []
        span = text[off:off + ln]
        # the stream bytes decode to the same text
        sb = streams[s][so:so + sl]
        if isjson[s]:
            try:
                sdec = json.loads(b'"' + sb + b'"').encode()
            except ValueError as e:
                sdec = None
                problems.append("stream bytes %d+%d are not a JSON string fragment (%s): %r" %
                                (so, sl, e, sb[:60]))
        else:
            sdec = sb
        if sdec is not None and sdec != span:
            problems.append("stream bytes %d+%d != record text bytes %d+%d" % (so, sl, off, ln))
        if so < rstart:
            problems.append("stream span before the record")
        # the span is on token boundaries
        if key not in rtoks:
            rtoks[key] = tokenize(text.decode("utf-8", "replace"))
        rt = rtoks[key]
        if off not in {b for _, b, _ in rt} or off + ln not in {e for _, _, e in rt}:
            problems.append("span %d+%d not on token boundaries" % (off, ln))
        span_toks = words_of(span.decode("utf-8", "replace"))
        e0, e1 = part["wspan"]
        if r["cat"] == "exact copy" or r["cat"].startswith("copy"):
            if m["class"] != "exact":
                problems.append("class %s, expected exact" % m["class"])
            if span_toks != [t for t, _, _ in rt]:
                problems.append("exact match span is not the whole record")
            if [ws0, ws1] != [0, len(work_toks[wi])]:
                problems.append("exact work_span %s" % m["work_span"])
        elif not part.get("edited"):
            if span_toks != work_toks[wi][ws0:ws1]:
                problems.append("span tokens (%d) != work tokens %d..%d" %
                                (len(span_toks), ws0, ws1))
        if "ex" in part:
            b0, b1 = part["ex"]
            if not (b0 <= off and off + ln <= b1):
                problems.append("span %d+%d outside the excerpt %d..%d" % (off, ln, b0, b1))
        if ws1 <= e0 or ws0 >= e1:
            problems.append("work_span %s outside the excerpt's %s" % (m["work_span"], [e0, e1]))
        elif not part.get("edited") and not (e0 <= ws0 and ws1 <= e1):
            problems.append("work_span %s not inside the excerpt's %s" %
                            (m["work_span"], [e0, e1]))
        if m.get("span") != "exact":
            problems.append("span %r, expected exact (the works have span hashes)" %
                            m.get("span"))
        # a verbatim excerpt is stated exactly: its work tokens and its bytes
        if "ex" in part and not part.get("edited") and m["class"] != "exact":
            b0, b1 = part["ex"]
            if [ws0, ws1] != [e0, e1] or [off, off + ln] != [b0, b1]:
                problems.append("not exact: work_span %s bytes %d..%d, planted %s bytes %d..%d" %
                                (m["work_span"], off, off + ln, [e0, e1], b0, b1))
            if m["matched_tokens"] != e1 - e0 or "pieces" in m:
                problems.append("matched_tokens %d, pieces %d for a verbatim excerpt of %d" %
                                (m["matched_tokens"], len(m.get("pieces", [])), e1 - e0))
        # the copied run ends where the texts differ: one token further would differ
        starts = {b: j for j, (_, b, _) in enumerate(rt)}
        ends = {e: j for j, (_, _, e) in enumerate(rt)}
        wt = work_toks[wi]
        if off in starts and off + ln in ends:
            r0, r1 = starts[off], ends[off + ln] + 1
            if r0 > 0 and ws0 > 0 and rt[r0 - 1][0] == wt[ws0 - 1]:
                problems.append("the run extends left of record token %d / work token %d" %
                                (r0, ws0))
            if r1 < len(rt) and ws1 < len(wt) and rt[r1][0] == wt[ws1]:
                problems.append("the run extends right of record token %d / work token %d" %
                                (r1, ws1))
        # every piece is verbatim, in order, inside the span; they add up
        pcs = m.get("pieces", [])
        if pcs:
            last = (off, ws0)
            total = 0
            for q in pcs:
                qa, qb = q["work_span"]
                qt = words_of(text[q["offset"]:q["offset"] + q["length"]].decode("utf-8",
                                                                                "replace"))
                if qt != wt[qa:qb]:
                    problems.append("piece %s is not verbatim" % q["work_span"])
                if q["offset"] < last[0] or qa < last[1] or \
                        q["offset"] + q["length"] > off + ln or qb > ws1:
                    problems.append("piece %s out of order or outside the span" %
                                    q["work_span"])
                qs = streams[s][q["stream_offset"]:q["stream_offset"] + q["stream_length"]]
                try:
                    qdec = json.loads(b'"' + qs + b'"').encode() if isjson[s] else qs
                except ValueError:
                    qdec = None
                if qdec != text[q["offset"]:q["offset"] + q["length"]]:
                    problems.append("piece %s stream bytes wrong" % q["work_span"])
                last = (q["offset"] + q["length"], qb)
                total += qb - qa
            if total != m["matched_tokens"]:
                problems.append("pieces add up to %d tokens, matched_tokens %d" %
                                (total, m["matched_tokens"]))
            if pcs[0]["work_span"][0] != ws0 or pcs[-1]["work_span"][1] != ws1 or \
                    pcs[0]["offset"] != off or \
                    pcs[-1]["offset"] + pcs[-1]["length"] != off + ln:
                problems.append("the span does not run from the first piece to the last")
        elif m["class"] != "exact" and m["matched_tokens"] != ws1 - ws0:
            problems.append("one piece of %d tokens, matched_tokens %d" %
                            (ws1 - ws0, m["matched_tokens"]))
        if problems:
            fails.append("%s: %s" % (where, "; ".join(problems)))
            continue
        nmatch_ok += 1
        found.add(key + (j,))
        if "excerpt" in r["cat"] or "edited" in r["cat"]:
            cover.setdefault(r["cat"], []).append((ws1 - ws0) / (e1 - e0))
        if part.get("edited"):
            # overlap of the planted and the reported span, both ways, in work
            # tokens and in record bytes
            b0, b1 = part["ex"]
            iw = max(0, min(e1, ws1) - max(e0, ws0))
            ib = max(0, min(b1, off + ln) - max(b0, off))
            ov = min(iw / (e1 - e0), iw / (ws1 - ws0), ib / (b1 - b0), ib / ln)
            overlap.setdefault(r["cat"], []).append(ov)
    # the table
    cats = {}
    for r in truth["records"]:
        c = cats.setdefault(r["cat"], [0, 0, 0, 0])  # records, found, false, matches
        c[0] += 1
        ps = r.get("parts", [])
        key = (r["shard"], r["record"])
        if ps and all(key + (j,) in found for j in range(len(ps))):
            c[1] += 1
        c[3] += nmatches.get(key, 0)
    for f in false_matches:
        cats[f.rsplit("(", 1)[1].rstrip(")")][2] += 1
    for c, _ in probe_hits:
        cats[c][1] += 1
    mode = "--robust (k=8, w=17)" if robust else "default (k=13, w=38)"
    print("recall / precision, %s" % mode)
    print("  %-24s %7s %7s %8s %6s %8s" % ("category", "records", "found", "recall", "false",
                                          "matches"))
    fp = 0
    order = sorted(cats, key=lambda c: (c.startswith("neg"), c.startswith("probe"),
                                        c.split()[0], len(c), c))
    for name in order:
        n, f, x, nm = cats[name]
        fp += x
        if name.startswith("probe"):
            continue
        neg = name.startswith("neg")
        print("  %-24s %7d %7s %8s %6d %8s" % (name, n, "-" if neg else f,
                                             "-" if neg else "%.1f%%" % (100.0 * f / n), x,
                                             "-" if neg else nm))
    tot = nmatch_ok + fp + len(fails)
    print("  precision: %d correct matches, %d false, %d with wrong offsets: %.2f%%" %
          (nmatch_ok, fp, len(fails), 100.0 * nmatch_ok / tot if tot else 100.0))
    print("  shared runs shorter than 50 tokens (SPEC 8.4: not a partial match), reported:")
    print("    " + ", ".join("%s: %d/%d" % (c.split()[-1], cats[c][1], cats[c][0])
                             for c in order if c.startswith("probe")))
    for c in sorted(cover, key=lambda c: (c.split()[0], len(c), c)):
        v = cover[c]
        print("  COVERAGE %-18s verified span / excerpt: mean %.3f, min %.3f (%d matches)" %
              (c, sum(v) / len(v), min(v), len(v)))
    for c in sorted(overlap, key=lambda c: (c.split()[0], len(c), c)):
        v = overlap[c]
        print("  OVERLAP  %-18s planted and reported span overlap >= 90%% both ways: %d/%d"
              " (%.1f%%), min %.3f" % (c, sum(1 for x in v if x >= 0.9), len(v),
                                       100.0 * sum(1 for x in v if x >= 0.9) / len(v), min(v)))
    # assertions
    # per edit rate, over both lengths (an unmatched planted span counts as missed)
    for rate in sorted({c.split()[1] for c in cats if c.startswith("edited")}):
        cs = [c for c in cats if c.startswith("edited " + rate + " ")]
        n = sum(cats[c][0] for c in cs)
        good = sum(1 for c in cs for x in overlap.get(c, []) if x >= 0.9)
        lab = "edited %s: %d/%d planted spans overlap the reported span >= 90%% both ways " \
            "(need 95%%)" % (rate, good, n)
        print(("PASS " if good >= 0.95 * n else "FAIL ") + lab)
    for name in order:
        n, f, _, _ = cats[name]
        need = None
        if name == "exact copy" or name.split()[0] in ("copy:", "excerpt", "two"):
            need = 1.0
        if robust and name.startswith("edited 5%") and int(name.split()[-1]) >= 200:
            need = 0.98
        if need is None:
            continue
        lab = "%s: found %d/%d (need %d%%)" % (name, f, n, need * 100)
        if f >= need * n:
            print("PASS " + lab)
        else:
            missed = [(r["shard"], r["record"], [(p["work"], p["wspan"]) for p in r["parts"]])
                      for r in truth["records"] if r["cat"] == name and
                      not all((r["shard"], r["record"], j) in found
                              for j in range(len(r["parts"])))]
            print("FAIL %s; missed %s" % (lab, missed[:5]))
    other = [f for f in false_matches if f not in chained]
    print(("PASS" if not other else "FAIL") + " no false matches (%d)%s" %
          (len(other), ": " + "; ".join(other[:5]) if other else ""))
    # Known matcher weakness: two short common phrases (< 13 tokens each) up to
    # 4(w+k) tokens apart chain into one partial match whose span is mostly
    # unverified (matched_tokens << span).
    print(("PASS" if not chained else "KNOWN") + " no chained short-phrase matches (%d)%s" %
          (len(chained), ": " + "; ".join(chained[:3]) if chained else ""))
    print(("PASS" if not fails else "FAIL") + " every match's offsets, span and class exact "
          "(%d bad)%s" % (len(fails), ": " + " | ".join(fails[:5]) if fails else ""))
    seen, dups = set(), []
    for m in rep["matches"]:
        k = (m["shard"], m["record"], m["work"], m["offset"], m["length"], tuple(m["work_span"]))
        if k in seen:
            dups.append("%s record %d %s span %s" % (m["shard"], m["record"], m["work"],
                                                     m["work_span"]))
        seen.add(k)
    # Known matcher bug: a fingerprint found at several positions of one work
    # (a phrase the work repeats) breaks the chain, and extend() grows each
    # piece to the same span: the same match is listed two or three times.
    print(("PASS" if not dups else "KNOWN") + " no duplicate matches (%d)%s" %
          (len(dups), ": " + "; ".join(dups[:3]) if dups else ""))
    print("PROBE shared runs < 50 tokens reported as matches: %d%s" %
          (len(probe_hits), ": " + "; ".join("%s: %s" % h for h in probe_hits[:3])
           if probe_hits else ""))


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[:1] == ["gen"]:
        seed = int(a[a.index("--seed") + 1]) if "--seed" in a else 1
        scale = float(a[a.index("--scale") + 1]) if "--scale" in a else 1.0
        gen(a[1], seed, scale)
    elif a[:1] == ["eval"]:
        evaluate(a[1], a[2], "--robust" in a)
    elif a[:1] == ["prose"]:  # prose NWORDS SEED: one text of Zipf words
        rng = random.Random(int(a[2]))
        vocab = Vocab(random.Random(1))
        sys.stdout.write(render(rng, sentence_words(rng, vocab, int(a[1]))))
    else:
        sys.exit(__doc__)
