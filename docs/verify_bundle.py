#!/usr/bin/env python3
"""Verify a provledger evidence bundle without provledger.

    python3 verify_bundle.py BUNDLE OPERATOR.pub

Written from the public specifications only (RFC 1952 gzip, RFC 8259 JSON,
C2SP signed-note and tlog-checkpoint, RFC 9162 section 2.1.3.2, DSSE v1,
RFC 8032 Ed25519, the OpenSSH key formats) and docs/subjects.md (the subject
index), using the Python standard library and python3-cryptography. See
docs/verifying-evidence.md for each step.
Prints one line per fact; exits 0 when everything verifies, 1 otherwise.
"""
import base64, gzip, hashlib, json, re, struct, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.exceptions import InvalidSignature

problems = []
def problem(msg):
    problems.append(msg)
    print("FAIL  " + msg)

def b64(s):
    return base64.b64decode(s, validate=True)

def ssh_ed25519(line):
    """OpenSSH 'ssh-ed25519 AAAA...' -> (raw 32-byte key, OpenSSH SHA256 fingerprint)."""
    blob = b64(re.search(r"ssh-ed25519 ([A-Za-z0-9+/=]+)", line).group(1))
    n = struct.unpack(">I", blob[:4])[0]
    assert blob[4:4 + n] == b"ssh-ed25519", "not an Ed25519 key"
    m = struct.unpack(">I", blob[4 + n:8 + n])[0]
    raw = blob[8 + n:8 + n + m]
    assert len(raw) == 32 and 8 + n + m == len(blob), "malformed key blob"
    fp = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return raw, fp

def ed25519_ok(raw, sig, msg):
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(sig, msg)
        return True
    except InvalidSignature:
        return False

# Step 1: gunzip and parse (json.loads refuses nothing we rely on; duplicate
# keys would be a forgery, so refuse them explicitly).
def no_dups(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in JSON")
    return dict(pairs)

USAGE = "usage: verify_bundle.py BUNDLE OPERATOR.pub"
if len(sys.argv) != 3 or sys.argv[1] in ("-h", "--help"):
    print(USAGE, file=sys.stderr)
    sys.exit(2)
bundle_path, trust_path = sys.argv[1], sys.argv[2]
try:
    bundle = json.loads(gzip.open(bundle_path).read().decode("utf-8"), object_pairs_hook=no_dups)
    assert bundle.get("format") == "provledger-bundle/v1", "not a provledger bundle"
    origin = bundle["origin"]
    op_raw, op_fp = ssh_ed25519(open(trust_path).read())
except (OSError, ValueError, KeyError, AssertionError, AttributeError, EOFError) as err:
    print("verify_bundle.py: %s: %s" % (bundle_path, err), file=sys.stderr)
    print(USAGE, file=sys.stderr)
    sys.exit(3)

# Step 2: the checkpoint, a C2SP signed note: text, blank line, signature
# lines "\u2014 NAME BASE64(keyid[4] || ed25519 signature[64])".
def note_ok(note):
    """A C2SP signed note by the trusted key under the origin's name: its text."""
    text, _, sigs = note.partition("\n\n")
    text += "\n"
    keyid = hashlib.sha256(origin.encode() + b"\n\x01" + op_raw).digest()[:4]
    for line in sigs.splitlines():
        name, _, sig = line.removeprefix("\u2014 ").partition(" ")
        sig = b64(sig)
        if name == origin and sig[:4] == keyid and ed25519_ok(op_raw, sig[4:], text.encode()):
            return text
    return None

text = note_ok(bundle["checkpoint"])
good = text is not None
if not good:
    text = bundle["checkpoint"].partition("\n\n")[0] + "\n"
    problem("checkpoint: no valid signature by the trusted key as " + origin)
cp_origin, cp_size, cp_root = text.splitlines()[:3]
size, root = int(cp_size), b64(cp_root)
if cp_origin != origin:
    problem("checkpoint origin is not the bundle origin")
vk = bundle["operator_key"].split("+", 2)  # NAME+HEX8+BASE64; base64 may hold "+"
if vk[0] != origin or b64(vk[2]) != b"\x01" + op_raw:
    problem("operator_key in the bundle is not the trusted key")
if good:
    print("ok    checkpoint %s size %d root %s signed by the trusted key" % (origin, size, cp_root))

# Step 3: RFC 9162 section 2.1.3.2 inclusion proofs; leaf = SHA-256(0x00 || envelope).
def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()

def verify_inclusion(index, size, leaf, proof, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root

# Step 4: DSSE v1 signatures over PAE, by keys registered in the bundle.
def pae(ptype, payload):
    t = ptype.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)

keys = {op_fp: [op_raw, None]}  # fingerprint -> [raw key, revoked at seq]
statements = {}
leaves = {}
for e in bundle["entries"]:
    seq, env_bytes, before = e["seq"], e["envelope"].encode("utf-8"), len(problems)
    leaf = hashlib.sha256(b"\x00" + env_bytes).digest()
    leaves[seq] = leaf.hex()
    if not verify_inclusion(seq, size, leaf, [b64(h) for h in e["proof"]], root):
        problem("seq %d: inclusion proof does not lead to the checkpoint root" % seq)
    env = json.loads(env_bytes, object_pairs_hook=no_dups)
    payload = b64(env["payload"])
    st = json.loads(payload, object_pairs_hook=no_dups)
    statements[seq] = st
    (sig,) = env["signatures"]
    signer, msg = sig["keyid"], pae(env["payloadType"], payload)
    ptype = st["predicateType"].split("/")[-2]
    pred = st["predicate"]
    if ptype == "key":
        raw, fp = ssh_ed25519(pred["public_key"])
        rev = pred.get("revokes")
        by = keys.get(signer, [None])[0] if rev else raw
        allowed = signer in (rev, op_fp) if rev else signer == fp
        if not allowed or by is None or not ed25519_ok(by, b64(sig["sig"]), msg):
            problem("seq %d: key entry signature" % seq)
        elif rev and rev in keys and keys[rev][1] is None:
            keys[rev][1] = seq
        keys.setdefault(fp, [raw, None])
    elif signer not in keys or keys[signer][1] is not None:
        problem("seq %d: signer %s is not registered in the bundle or was revoked" % (seq, signer))
    elif not ed25519_ok(keys[signer][0], b64(sig["sig"]), msg):
        problem("seq %d: DSSE signature does not verify" % seq)
    if len(problems) == before:
        print("ok    seq %-4d %-11s %s" % (seq, ptype, st["subject"][0]["name"]))

# Step 5: attachments hash to their names (sha256sum would print the same).
for name, data in bundle["attachments"].items():
    if hashlib.sha256(b64(data)).hexdigest() != name:
        problem("attachment %s: wrong digest" % name)
    else:
        print("ok    attachment %s" % name)

# Step 6: entry references inside the statements: a reference to an entry in
# the bundle names its leaf; the lineage's own references are present.
def refs(v):
    if isinstance(v, dict):
        if isinstance(v.get("seq"), int) and isinstance(v.get("leaf"), str):
            yield v
        for x in v.values():
            yield from refs(x)
    elif isinstance(v, list):
        for x in v:
            yield from refs(x)

for seq, st in statements.items():
    for r in refs(st["predicate"]):
        if r["seq"] in leaves and leaves[r["seq"]] != r["leaf"]:
            problem("seq %d: reference to seq %d names another leaf" % (seq, r["seq"]))
    pred, needed = st["predicate"], []
    if bundle["subject"]["type"] == "model" and st["predicateType"].endswith("/model/v1"):
        needed = pred.get("datasets", []) + pred.get("base_models", [])
    elif st["predicateType"].endswith("/dataset/v1"):
        needed = [pred["check"]]
    for r in needed:
        if r["seq"] not in leaves:
            problem("seq %d: needs seq %d, which the bundle lacks" % (seq, r["seq"]))

# Step 7: the subject index (docs/subjects.md): a note signed by the trusted
# key for the checkpoint's size, and for each subject a proof leading to its
# root. Then nothing that referred to an entry of the bundle at that size and
# belongs to its closure may be missing: no claim, revocation or grant was
# left out.
EMPTY_BUCKET = hashlib.sha256(b"\x02").digest()
subjects = bundle.get("subjects") or {}
stext = note_ok(subjects.get("note", ""))
sroot = None
if not stext or stext.split("\n")[:3] != ["provledger-subjects/v1", origin, str(size)]:
    problem("subject index note: not signed by the trusted key for this log and size")
else:
    sroot = b64(stext.split("\n")[3])
refs_of = {}  # subject -> [(seq, label)]
for subject, p in (subjects.get("proofs") or {}).items():
    k = hashlib.sha256(subject.encode()).digest()
    members = b64(p["bucket"])
    pairs = [(members[i:i + 32], members[i + 32:i + 64]) for i in range(0, len(members), 64)]
    ok = [a for a, _ in pairs] == sorted(a for a, _ in pairs) and all(
        a[:2] == k[:2] for a, _ in pairs)
    mine = [l for a, l in pairs if a == k]
    if p["refs"] is None:
        ok = ok and not mine
    else:
        ok = ok and mine == [hashlib.sha256(b"\x00" + p["refs"].encode()).digest()]
    h = hashlib.sha256(b"\x02" + members).digest()
    idx = k[0] << 8 | k[1]
    for sib in p["path"]:
        h = node(b64(sib), h) if idx & 1 else node(h, b64(sib))
        idx >>= 1
    if not ok or sroot is None or h != sroot:
        problem("subject index proof of %s does not lead to the signed root" % subject)
        continue
    lines = [] if p["refs"] is None else p["refs"].split("\n")
    if lines and lines[0] != subject:
        problem("subject index proof of %s: its first line is not the subject" % subject)
        continue
    refs_of[subject] = [(int(l.split(" ")[0]), l.split(" ")[1]) for l in lines[1:] if l]

work_mode = bundle["subject"]["type"] == "work"
def belongs(label):
    if label.startswith("attestation.") and label != "attestation.work":
        return True
    if label in ("check.dataset", "dataset.check", "grant.key", "grant.grant", "key.revokes",
                 "key", "work"):
        return True
    return work_mode and label in ("check.matches", "attestation.work", "model.datasets",
                                   "model.base_models")

def subjects_of(seq, st):
    yield "seq:%d" % seq
    ptype = st["predicateType"].split("/")[-2]
    if ptype == "work":
        yield st["subject"][0]["name"]
    elif ptype == "key":
        yield "key:" + ssh_ed25519(st["predicate"]["public_key"])[1]

for seq, st in statements.items():
    for subject in subjects_of(seq, st):
        if subject not in refs_of:
            problem("seq %d: the bundle lacks the subject index proof of %s" % (seq, subject))
            continue
        for rseq, label in refs_of[subject]:
            if belongs(label) and rseq not in statements:
                problem("seq %d: entry %d (%s) refers to it at size %d but is missing"
                        % (seq, rseq, label, size))

# Step 8: roles are granted, not claimed (docs/entries.md): each signer's
# declared role must be in force at the entry's seq: the operator's key at
# entry 0; otherwise a grant in the bundle, by a key holding the granting
# role, not revoked before; a rights-holder may sign unvouched.
GRANTED_BY = {"authority": "operator", "witness": "operator", "auditor": "operator",
              "lab": "authority", "evaluator": "authority", "rights-holder": "authority"}
NEEDS = {"work": "rights-holder", "check": "lab", "dataset": "lab", "model": "lab",
         "training-licence": "authority", "deployment-approval": "authority",
         "evaluation": "evaluator", "claim": "rights-holder"}
key_entry = {}  # keyid -> (seq, role)
for seq, st in sorted(statements.items()):
    if st["predicateType"].endswith("/key/v1"):
        key_entry.setdefault(ssh_ed25519(st["predicate"]["public_key"])[1],
                             (seq, st["predicate"]["role"]))

def role_in_force(keyid, at, depth=0):
    if keyid not in key_entry or key_entry[keyid][0] >= at or depth > 8:
        return None
    kseq, role = key_entry[keyid]
    if role == "operator":
        return role if kseq == 0 and keyid == op_fp else None
    for gseq, st in sorted(statements.items()):
        p = st["predicate"]
        if (gseq >= at or not st["predicateType"].endswith("/grant/v1")
                or p.get("action") != "grant" or p.get("key") != keyid or p.get("role") != role):
            continue
        revoked = any(s2["predicateType"].endswith("/grant/v1") and
                      s2["predicate"].get("action") == "revoke" and
                      s2["predicate"].get("grant", {}).get("seq") == gseq and r2 < at
                      for r2, s2 in statements.items())
        granter = signers.get(gseq)
        if not revoked and role_in_force(granter, gseq, depth + 1) == GRANTED_BY[role]:
            return role
    return role if role == "rights-holder" else None

signers = {}
for e in bundle["entries"]:
    env = json.loads(e["envelope"], object_pairs_hook=no_dups)
    signers[e["seq"]] = env["signatures"][0]["keyid"]
for seq, st in sorted(statements.items()):
    ptype, pred = st["predicateType"].split("/")[-2], st["predicate"]
    need = NEEDS.get(pred.get("kind") if ptype == "attestation" else ptype)
    if need and role_in_force(signers[seq], seq) != need:
        problem("seq %d: its signer %s holds no %s role in force" % (seq, signers[seq], need))
    if ptype == "attestation" and need and pred.get("issuer_role") != need:
        problem("seq %d: issuer_role %r is not the signer's role" % (seq, pred.get("issuer_role")))

print("VERIFIED" if not problems else "FAILED: %d problems" % len(problems))
sys.exit(1 if problems else 0)
