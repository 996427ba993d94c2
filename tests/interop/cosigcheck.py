#!/usr/bin/env python3
"""cosigcheck.py - c2sp.org/tlog-cosignature/v1, written from the spec with
Python `cryptography` and nothing of provledger.

  cosigcheck.py verify VKEY NOTE        exit 0 when NOTE carries a valid
                                        cosignature by the witness VKEY
                                        (prints its timestamp)
  cosigcheck.py sign SEED_HEX NAME TIME NOTE
                                        print NOTE with a cosignature line
                                        added by the Ed25519 key of SEED_HEX
  cosigcheck.py vkey SEED_HEX NAME      print that key's verifier key
"""
import base64, hashlib, struct, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                                Ed25519PublicKey)
from cryptography.hazmat.primitives import serialization

DASH = "\u2014 "


def key_id(name, pub):
    return hashlib.sha256(name.encode() + b"\n" + b"\x04" + pub).digest()[:4]


def split(note):
    i = note.rindex("\n\n")
    return note[:i + 1], [l for l in note[i + 2:].split("\n") if l]


def message(text, t):
    return b"cosignature/v1\ntime %d\n" % t + text.encode()


def verify(vkey, note):
    name, kid_hex, b64 = vkey.strip().split("+", 2)
    raw = base64.b64decode(b64)
    assert raw[0] == 4 and len(raw) == 33, "not a cosignature/v1 key"
    pub = raw[1:]
    assert key_id(name, pub).hex() == kid_hex, "the key ID does not match"
    text, lines = split(note)
    k = Ed25519PublicKey.from_public_bytes(pub)
    for l in lines:
        assert l.startswith(DASH)
        n, sig = l[len(DASH):].split(" ")
        s = base64.b64decode(sig)
        if n != name or s[:4] != key_id(name, pub):
            continue
        assert len(s) == 4 + 8 + 64, "a cosignature is 76 bytes"
        (t,) = struct.unpack(">Q", s[4:12])
        k.verify(s[12:], message(text, t))  # raises when invalid
        print(t)
        return 0
    print("no cosignature by " + name, file=sys.stderr)
    return 1


def main():
    cmd = sys.argv[1]
    if cmd == "verify":
        return verify(open(sys.argv[2]).read(), open(sys.argv[3]).read())
    sk = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(sys.argv[2]))
    pub = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    name = sys.argv[3]
    if cmd == "vkey":
        print("%s+%s+%s" % (name, key_id(name, pub).hex(), base64.b64encode(b"\x04" + pub).decode()))
        return 0
    t = int(sys.argv[4])
    note = open(sys.argv[5]).read()
    text, _ = split(note)
    sig = sk.sign(message(text, t))
    line = DASH + name + " " + base64.b64encode(key_id(name, pub) + struct.pack(">Q", t) + sig).decode()
    sys.stdout.write(note + line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
