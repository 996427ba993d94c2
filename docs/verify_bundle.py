#!/usr/bin/env python3
"""Verify a provledger evidence bundle without provledger.

    python3 verify_bundle.py BUNDLE OPERATOR.pub

Written from the public specifications only (RFC 1952 gzip, RFC 8259 JSON,
C2SP signed-note and tlog-checkpoint, RFC 9162 section 2.1.3.2, DSSE v1,
RFC 8032 Ed25519, the OpenSSH key formats), using the Python standard library
and python3-cryptography. See docs/verifying-evidence.md for each step.
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

bundle_path, trust_path = sys.argv[1], sys.argv[2]
bundle = json.loads(gzip.open(bundle_path).read().decode("utf-8"), object_pairs_hook=no_dups)
assert bundle["format"] == "provledger-bundle/v1", "not a provledger bundle"
origin = bundle["origin"]
op_raw, op_fp = ssh_ed25519(open(trust_path).read())

# Step 2: the checkpoint, a C2SP signed note: text, blank line, signature
# lines "\u2014 NAME BASE64(keyid[4] || ed25519 signature[64])".
note = bundle["checkpoint"]
text, _, sigs = note.partition("\n\n")
text += "\n"
keyid = hashlib.sha256(origin.encode() + b"\n\x01" + op_raw).digest()[:4]
good = False
for line in sigs.splitlines():
    name, _, sig = line.removeprefix("\u2014 ").partition(" ")
    sig = b64(sig)
    if name == origin and sig[:4] == keyid:
        good = ed25519_ok(op_raw, sig[4:], text.encode())
if not good:
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

print("VERIFIED" if not problems else "FAILED: %d problems" % len(problems))
sys.exit(1 if problems else 0)
