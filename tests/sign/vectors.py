#!/usr/bin/env python3
"""vectors.py MODPACK SOURCE_DIR WORK - the signature test vector of
formats/image-format.md section 13.5 holds: every value of its table is
recomputed from tests/sign/ (vector.hex: the signed image in hex, as xxd -p
writes it; vector-key.pem, vector-pub.pem)
with hashlib, openssl and modpack, and modpack sign of the unsigned image
with the key writes vector.mod byte for byte (Ed25519 is deterministic).
Exit status 1 with one line per difference."""
import hashlib
import json
import os
import re
import subprocess
import sys

modpack, src, work = sys.argv[1:4]
d = os.path.join(src, "tests", "sign")
os.makedirs(work, exist_ok=True)
spec = open(os.path.join(src, "formats", "image-format.md")).read()
sec = spec.split("### 13.5 Test vector", 1)[1]
table = dict(re.findall(r"^\| ([a-z ()0-9]+?) \| `([0-9a-f]+)`", sec, re.M))
bad = []


def want(what, got, expect):
    if got != expect:
        bad.append(f"{what}: {got} != {expect}")


signed = bytes.fromhex(open(os.path.join(d, "vector.hex")).read().replace("\n", ""))
signed_path = os.path.join(work, "vector.mod")
open(signed_path, "wb").write(signed)
size = int.from_bytes(signed[16:20], "little")
image = signed[:size]
want("image", image.hex(), table["image (83 bytes)"])
digest = hashlib.sha256(image).hexdigest()
want("digest", digest, table["digest"])
der = subprocess.run(["openssl", "pkey", "-pubin", "-in", os.path.join(d, "vector-pub.pem"), "-outform", "DER"],
                     check=True, capture_output=True).stdout
want("public key", der[-32:].hex(), table["public key"])
der = subprocess.run(["openssl", "pkey", "-in", os.path.join(d, "vector-key.pem"), "-pubout", "-outform", "DER"],
                     check=True, capture_output=True).stdout
want("public key of vector-key.pem", der[-32:].hex(), table["public key"])
want("key id", hashlib.sha256(der[-32:]).hexdigest()[:16], table["key id"])
block = signed[size:]
want("block head", block[:8].hex(), "4d534947" + "01" + "01" + "0000")
want("block key id", block[8:16].hex(), table["key id"])
want("block signature", block[16:].hex(), table["signature"])

# OpenSSL verifies the signature of the digest on its own.
open(os.path.join(work, "digest.bin"), "wb").write(bytes.fromhex(digest))
open(os.path.join(work, "sig.bin"), "wb").write(block[16:])
r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", os.path.join(d, "vector-pub.pem"),
                    "-rawin", "-in", os.path.join(work, "digest.bin"), "-sigfile", os.path.join(work, "sig.bin")],
                   capture_output=True, text=True)
if r.returncode != 0:
    bad.append("openssl pkeyutl -verify: " + r.stdout + r.stderr)

# modpack: verify, inspect, and sign reproducing the file.
r = subprocess.run([modpack, "verify", signed_path, "--key", os.path.join(d, "vector-pub.pem")],
                   capture_output=True, text=True)
if r.returncode != 0:
    bad.append("modpack verify --key: " + r.stderr)
j = json.loads(subprocess.run([modpack, "inspect", "--json", signed_path],
                              check=True, capture_output=True, text=True).stdout)
want("inspect digest", j["digest"], table["digest"])
want("inspect security_version", j["security_version"], 1)
want("inspect signatures", [(s["key_id"], s["signature"]) for s in j["signatures"]],
     [(table["key id"], table["signature"])])
unsigned = os.path.join(work, "unsigned.mod")
out = os.path.join(work, "signed.mod")
open(unsigned, "wb").write(image)
subprocess.run([modpack, "sign", unsigned, "--key", os.path.join(d, "vector-key.pem"), "-o", out], check=True)
want("modpack sign of the image", open(out, "rb").read().hex(), signed.hex())

for b in bad:
    print("sign.vectors:", b)
print(f"sign.vectors: {'FAIL' if bad else 'ok'}: image {size} bytes, digest {digest}")
sys.exit(1 if bad else 0)
