#!/usr/bin/env python3
"""Writes a run directory's stage seconds (from each stage's manifest.json) into
docs/BENCHMARKS.md, beside the wall time the caller measured for the whole command.

    scripts/pipeline-times.py RUN_DIR BLOCK_NAME "COMMAND" WALL_SECONDS "NOTE"
"""
import json
import os
import subprocess
import sys

run, name, command, wall, note = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
rows = []
for dirpath, dirs, files in os.walk(run):
    if "manifest.json" in files and not dirpath.endswith(".partial"):
        m = json.load(open(os.path.join(dirpath, "manifest.json")))
        if "stage" not in m:
            continue
        met = m.get("metrics", {})
        extra = []
        if "tokensPerSecond" in met:
            extra.append(f"{met['tokensPerSecond']:,.0f} training tokens/s")
        if "steps" in met:
            extra.append(f"{met['steps']} steps")
        if "distinctTexts" in met:
            extra.append(f"{met['pairs']:,} pairs, {met['distinctTexts']:,} distinct texts,"
                         f" {met['textsEmbeddedNow']:,} embedded")
        rows.append((m["started"], m["stage"], m["seconds"], "; ".join(extra)))
rows.sort()
total = sum(r[2] for r in rows)
cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
flags = open("/proc/cpuinfo").read()
vnni = "VNNI" if "avx512_vnni" in flags or "avx_vnni" in flags else "AVX2 only, no VNNI"
body = [f"`{command}`: {int(wall // 60)} min {wall % 60:.0f} s wall, build included; the stages"
        f" below sum to {int(total // 60)} min {total % 60:.0f} s. {cpu} ({vnni}), 2 cores,"
        f" started {rows[0][0][:16].replace('T', ' ')} UTC. {note}", "",
        "| stage | seconds | |", "|---|---:|---|"]
body += [f"| {s} | {sec:,.1f} | {x} |" for _, s, sec, x in rows]
body += ["", f"Written by `scripts/pipeline-times.py {run} {name} ...` from the stage manifests."]
subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "md-block.py"),
                "docs/BENCHMARKS.md", name, "\n".join(body)], check=True)
print("\n".join(body))
