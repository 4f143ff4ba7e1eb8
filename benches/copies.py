#!/usr/bin/env python3
"""How a run's copies are best made: `CREATE DATABASE ... TEMPLATE` with
`STRATEGY WAL_LOG` (PostgreSQL 15's default: every block through the WAL)
against `STRATEGY FILE_COPY` (a checkpoint, then the files copied).

    python3 benches/copies.py [SCALE] [PAIRS]     # defaults: scale 1, 5 pairs

Seeds TaleForge at SCALE in a kept throwaway cluster, then makes a copy of
the seeded data PAIRS times with each strategy, interleaved (the order
flips every pair). Each copy is timed with the checkpoint that follows it,
which is where WAL_LOG's written blocks reach the disk: a copy's cost is
what the server pays before the next copy starts from a clean state. Prints
each strategy's median seconds and seconds per GB of data, and their ratio.
"""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kept_cluster import KeptCluster  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "schemabench")
PSQL = "/usr/lib/postgresql/15/bin/psql"


def psql(sql, database="postgres"):
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + database
    return subprocess.run([PSQL, url, "-XAtqc", sql], check=True, capture_output=True,
                          text=True).stdout.strip()


def timed_copy(template, strategy):
    psql("checkpoint")
    started = time.monotonic()
    psql(f'create database bench_copy template "{template}" strategy {strategy}')
    psql("checkpoint")
    seconds = time.monotonic() - started
    psql("drop database bench_copy")
    return seconds


def main():
    scale = sys.argv[1] if len(sys.argv) > 1 else "1"
    pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    with KeptCluster(BINARY, ["--scale", scale, "--seed", "42"], cwd=ROOT) as cluster:
        size = int(psql(f"select pg_database_size('{cluster.database}')"))
        gb = size / 1e9
        print(f"TaleForge at scale {scale}: {gb:.2f} GB seeded, {pairs} interleaved pairs")
        times = {"wal_log": [], "file_copy": []}
        for i in range(pairs):
            order = ["wal_log", "file_copy"] if i % 2 == 0 else ["file_copy", "wal_log"]
            for strategy in order:
                times[strategy].append(timed_copy(cluster.database, strategy))
            print(f"  pair {i + 1}: " + ", ".join(f"{s} {times[s][-1]:.2f} s" for s in order))
        medians = {s: statistics.median(t) for s, t in times.items()}
        for s, m in medians.items():
            print(f"{s:>9}: median {m:.2f} s, {m / gb:.2f} s per GB")
        print(f"file_copy / wal_log: {medians['file_copy'] / medians['wal_log']:.2f}x")


if __name__ == "__main__":
    main()
