#!/usr/bin/env python3
"""inspect_schema.py MODPACK SCHEMA BUILD_DIR - `modpack inspect --json` is a
contract (formats/inspect.schema.json): the report on every *.mod of the
build tree (each content once: fuzzer seeds are copies) validates against
the schema; ok is true exactly when `modpack
verify` accepts the image, and inspect exits 0 exactly then (1 otherwise,
still printing its report); the catalogue's broken images are among them
and report ok false with their error; several images give an array and the
worst exit status. The schema is shown to reject reports that break it."""
import concurrent.futures
import glob
import hashlib
import json
import os
import subprocess
import sys

import jsonschema

modpack, schema_path, build = sys.argv[1:4]
schema = json.load(open(schema_path))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def errors(doc):
    return ["%s at %s" % (e.message, "/".join(map(str, e.absolute_path)))
            for e in validator.iter_errors(doc)]


def run(*args):
    return subprocess.run([modpack, *args], capture_output=True, text=True)


def judge(m):
    """inspect --json --fixups and verify of one image."""
    return m, run("inspect", "--json", "--fixups", m), run("verify", m)


# Every image once: the fuzzers keep copies of the same images as seeds.
by_content = {}
for m in sorted(glob.glob(os.path.join(build, "**", "*.mod"), recursive=True)):
    try:
        with open(m, "rb") as f:
            key = hashlib.sha256(f.read()).hexdigest()
    except OSError:
        continue
    by_content.setdefault(key, []).append(m)
catalogue_dir = os.sep + "catalogue" + os.sep + "images" + os.sep
mods = sorted(next((m for m in ms if catalogue_dir in m), ms[0]) for ms in by_content.values())
copies = sum(len(ms) for ms in by_content.values()) - len(mods)
good, bad, catalogue_bad, reports = [], [], [], {}
with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
    results = list(pool.map(judge, mods))
for m, p, v in results:
    if not os.path.exists(m):
        continue  # removed by a test running meanwhile
    if p.returncode not in (0, 1):
        fail("%s: inspect exited %d: %s" % (m, p.returncode, p.stderr.strip()))
        continue
    try:
        j = json.loads(p.stdout)
    except ValueError as e:
        fail("%s: inspect --json printed no JSON (%s): %r" % (m, e, p.stdout[:200]))
        continue
    for e in errors(j):
        fail("%s: %s" % (m, e))
    if j.get("ok") != (v.returncode == 0):
        fail("%s: inspect says ok=%s, verify exited %d" % (m, j.get("ok"), v.returncode))
    if p.returncode != (0 if j.get("ok") else 1):
        fail("%s: ok=%s but inspect exited %d" % (m, j.get("ok"), p.returncode))
    if not j.get("ok") and "modpack: " not in p.stderr:
        fail("%s: refused without a message on stderr" % m)
    if "parts" in j:
        sizes = {q["name"]: q["size"] for q in j["parts"]}
        if sum(sizes.values()) != j["image_size"] or sizes["header"] != j["header_size"] or \
                sizes["code"] != j["code_stored"] or sizes["data"] != j["data_stored"] or \
                sizes["fixups"] != j["fixup_size"] or \
                (not j["compressed"] and (j["code_stored"] != j["code_size"] or j["data_stored"] != j["data_size"])):
            fail("%s: parts %s do not add up to the header's sizes" % (m, j["parts"]))
    reports[m] = j
    (good if j.get("ok") else bad).append(m)
    if not j.get("ok") and catalogue_dir in m:
        catalogue_bad.append(m)

print("%d images (and %d copies of them): %d ok, %d refused (%d from the catalogue)"
      % (len(mods), copies, len(good), len(bad), len(catalogue_bad)))
if len(good) < 20:
    fail("only %d good images found under %s: build first" % (len(good), build))
if len(catalogue_bad) < 10:
    fail("only %d refused catalogue images found: build the catalogue_images target" % len(catalogue_bad))
if not any(reports[m].get("format") and not reports[m]["crc"]["ok"] for m in catalogue_bad):
    fail("no catalogue image refused for its CRC only (a full report with ok false)")
if not any("format" not in reports[m] for m in catalogue_bad):
    fail("no catalogue image refused before its header could be read (a short report)")

# Several images: one array, in order, exit status the worst.
if good and bad:
    pick = [good[0], bad[0], good[-1]]
    p = run("inspect", "--json", *pick)
    j = json.loads(p.stdout)
    for e in errors(j):
        fail("array: " + e)
    if [r["file"] for r in j] != pick or p.returncode != 1:
        fail("inspect --json of 3 images: files %s, exit %d" % ([r["file"] for r in j], p.returncode))
    p = run("inspect", "--json", good[0], good[-1])
    if p.returncode != 0 or errors(json.loads(p.stdout)):
        fail("inspect --json of 2 good images: exit %d" % p.returncode)

# The schema is not vacuous: broken reports are refused.
if good:
    j = reports[good[0]]
    for name, broken in [
        ("no format_version", {k: v for k, v in j.items() if k != "format_version"}),
        ("an unknown key", dict(j, surprise=1)),
        ("ok without the image keys", {k: j[k] for k in ("format_version", "file", "ok", "error", "error_code", "file_size")}),
        ("ok with an error", dict(j, error="x")),
        ("split_reason missing", {k: v for k, v in j.items() if k != "split_reason"}),
        ("a string size", dict(j, code_size="12")),
    ]:
        if not errors(broken):
            fail("the schema accepts a report with " + name)

if failures:
    print("%d failures" % len(failures), file=sys.stderr)
    sys.exit(1)
print("PASS")
