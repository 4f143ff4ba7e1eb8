#!/usr/bin/env python3
"""Faults a run must survive, scripted against a real server.

    python3 benches/faults.py

restart: a kept throwaway cluster is restarted with `pg_ctl restart -m
immediate` (a crash: every backend killed, statistics lost) while a run of
TaleForge with one candidate is in its first measured phase. The run must
wait for the server, finish every phase, count the failed requests as
errors, write its summary and report, exit as a finished run does (not 3)
and leave no database copy behind.

Prints what it saw and exits non-zero when any of that fails. Set
SCHEMABENCH_BIN to try another build (default: target/release).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

from kept_cluster import KeptCluster

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SCHEMABENCH_BIN", os.path.join(ROOT, "target", "release", "schemabench"))
SCENARIO = os.path.join(ROOT, "scenarios", "taleforge", "scenario.toml")
ARGS = ["--scale", "0.05"]


def copies(cluster):
    """Databases of schemabench's copies left on the server."""
    out = subprocess.run(["psql", os.environ["DATABASE_URL"], "-Atc",
                          "select datname from pg_database where datname ~ '_c[0-9]+$'"],
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


def restart():
    if not os.path.exists(BIN):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    failures = []
    with KeptCluster(BIN, [SCENARIO, *ARGS]) as cluster, tempfile.TemporaryDirectory() as out:
        run = subprocess.Popen([BIN, "run", SCENARIO, *ARGS, "--candidates", "feed_index",
                                "--duration", "6s", "--rounds", "2", "--out", out],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Copies take a few seconds; the warmup 3 s; then the steady phase.
        time.sleep(12)
        pg_ctl = cluster.stop.replace(" stop ", " restart -m immediate -w ", 1)
        # The new server inherits pg_ctl's output: never a pipe we wait on.
        restarted = subprocess.run(pg_ctl.split(), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        print(f"restarted the server mid-run: exit {restarted.returncode}")
        stdout, stderr = run.communicate(timeout=600)
        print(f"run exit code: {run.returncode}")
        for line in stderr.splitlines():
            if "waiting up to" in line:
                print(f"  it said: {line}")
        if run.returncode not in (0, 4, 5, 6):
            failures.append(f"exit {run.returncode}: {stderr.strip()[-500:]}")
        if "verdicts against the baseline" not in stdout:
            failures.append("no summary printed")
        try:
            with open(os.path.join(out, "results.json")) as f:
                results = json.load(f)
            errors = sum(q["errors"] for c in results["candidates"] for q in c["queries"])
            print(f"results complete: {results['complete']}, rounds {results['rounds']}, "
                  f"requests failed during the restart: {errors}")
            if not results["complete"]:
                failures.append("results.json not complete")
            if errors == 0:
                failures.append("no failed request counted (did the restart land mid-phase?)")
        except (OSError, ValueError, KeyError) as e:
            failures.append(f"results.json unreadable: {e}")
        left = copies(cluster)
        print(f"copies left on the server: {left}")
        if left:
            failures.append(f"copies left behind: {left}")
    for failure in failures:
        print(f"FAILED: {failure}")
    return not failures


if __name__ == "__main__":
    sys.exit(0 if restart() else 1)
