#!/usr/bin/env python3
"""schemabench's closed loop against pgbench, side by side on one server.

    python3 benches/vs_pgbench.py            # 10 s per run, 5 alternations
    SECONDS_PER_RUN=3 REPEATS=1 python3 benches/vs_pgbench.py
    WORKLOADS=point,rls python3 benches/vs_pgbench.py

Seeds TaleForge at scale 0.1 in a throwaway cluster (kept for the runs, then
stopped), creates bench_keys (1000 story ids numbered 0..999), then runs
`SELECT 1`, a TaleForge primary-key lookup and a signed-in user's request
under RLS (the transaction PostgREST sends: benches/pgbench/rls.toml) with 8
clients and the prepared protocol through pgbench and through schemabench, one after the
other, REPEATS times alternating (the machine is shared: one pair of runs
moved a ratio by 10%), and prints the median of each ratio: throughput
(goal >= 1.0), CPU seconds per 1000 queries of each client process (goal:
schemabench <= pgbench; schemabench's whole process, which also seeds its
copy, reads statistics and writes reports, and its driver threads alone),
and at one client the mean latency (goal within 10%).
"""
import json
import os
import re
import resource
import subprocess
import sys
import tempfile

from kept_cluster import KeptCluster

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "schemabench")
SECONDS = int(os.environ.get("SECONDS_PER_RUN", "10"))
REPEATS = int(os.environ.get("REPEATS", "5"))
PGBENCH_THREADS = os.cpu_count() or 2


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, **kw):
    """Runs a command; returns (stdout, CPU seconds it used)."""
    before = children_cpu()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)
    return out.stdout, children_cpu() - before


def pgbench(port, db, script, clients, users):
    out, cpu = timed(["pgbench", "-n", "-M", "prepared", "-h", "127.0.0.1", "-p", port, "-U", "postgres",
                      "-D", f"users={users}",
                      "-c", str(clients), "-j", str(min(clients, PGBENCH_THREADS)), "-T", str(SECONDS),
                      "-f", os.path.join(ROOT, "benches", "pgbench", script), db])
    count = int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    latency_ms = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
    return count, tps, latency_ms, cpu, cpu


def schemabench(scenario, clients):
    out_dir = tempfile.mkdtemp(prefix="schemabench-vs-pgbench-")
    _, cpu = timed([BIN, "run", os.path.join(ROOT, "benches", "pgbench", scenario), "--scale", "0.1",
                    "--duration", f"{SECONDS}s", "--clients", str(clients), "--protocol", "prepared",
                    "--out", out_dir])
    with open(os.path.join(out_dir, "results.json")) as f:
        results = json.load(f)
    phase = results["candidates"][0]["phases"][0]  # the baseline, its only phase
    query = phase["queries"][0]
    driver_cpu = (phase.get("generator") or {}).get("cpu_s", cpu)
    return query["count"], phase["throughput"], query["latency"]["mean"] / 1000.0, cpu, driver_cpu


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    with KeptCluster(BIN, ["--scale", "0.1"], cwd=ROOT) as cluster:
        port, db = cluster.port, cluster.database
        subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", db, "-c",
                        "drop table if exists bench_keys; "
                        "create table bench_keys as select (row_number() over (order by id) - 1)::int as n, id "
                        "from stories order by id limit 1000; create unique index on bench_keys (n); analyze bench_keys; "
                        "drop table if exists bench_claims; "
                        "create table bench_claims as select (row_number() over (order by id) - 1)::int as n, "
                        "json_build_object('aud', 'authenticated', 'role', 'authenticated', 'sub', id)::text as claims "
                        "from profiles; create unique index on bench_claims (n); analyze bench_claims; "
                        "grant select on bench_claims to authenticated; "
                        # schemabench runs `postgres` queries as its owner role, no superuser.
                        "grant select on bench_keys, bench_claims to public"],
                       check=True)
        users = subprocess.run(["psql", "-Atq", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", db, "-c",
                                "select count(*) from bench_claims"], check=True, capture_output=True,
                               text=True).stdout.strip()
        print(f"{SECONDS} s per run, prepared protocol, pgbench -j {PGBENCH_THREADS}, {REPEATS} alternation(s)\n")
        print(f"{'workload':<10} {'clients':>7} {'tool':<12} {'queries':>9} {'qps':>10} {'mean ms':>8} "
              f"{'CPU s/1k q':>11} {'drivers':>8}")
        for name in os.environ.get("WORKLOADS", "select1,point,rls").split(","):
            ratios = {"throughput": [], "cpu": [], "driver_cpu": [], "latency": []}
            for _ in range(REPEATS):
                rows = {}
                for clients in [8, 1]:
                    for tool in ["pgbench", "schemabench"]:
                        if tool == "pgbench":
                            row = pgbench(port, db, f"{name}.sql", clients, users)
                        else:
                            row = schemabench(f"{name}.toml", clients)
                        rows[(tool, clients)] = row
                        count, qps, mean, cpu, driver = row
                        print(f"{name:<10} {clients:>7} {tool:<12} {count:>9} {qps:>10.0f} {mean:>8.3f} "
                              f"{1000 * cpu / max(count, 1):>11.4f} {1000 * driver / max(count, 1):>8.4f}")
                s8, p8 = rows[("schemabench", 8)], rows[("pgbench", 8)]
                s1, p1 = rows[("schemabench", 1)], rows[("pgbench", 1)]
                ratios["throughput"].append(s8[1] / p8[1])
                ratios["cpu"].append((s8[3] / s8[0]) / (p8[3] / p8[0]))
                ratios["driver_cpu"].append((s8[4] / s8[0]) / (p8[3] / p8[0]))
                ratios["latency"].append(s1[2] / p1[2])
            m = {k: median(v) for k, v in ratios.items()}
            print(f"  {name}, medians of {REPEATS}: throughput ratio schemabench/pgbench at 8 clients = "
                  f"{m['throughput']:.2f} (goal >= 1.0); CPU per 1k queries ratio = {m['cpu']:.2f} "
                  f"(driver threads alone {m['driver_cpu']:.2f}; goal <= 1.0); mean latency ratio at 1 client = "
                  f"{m['latency']:.2f} (goal within 0.90-1.10)\n")


if __name__ == "__main__":
    main()
