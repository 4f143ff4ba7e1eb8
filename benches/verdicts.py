#!/usr/bin/env python3
"""How often schemabench's verdicts are wrong, and how often they are right,
on a machine whose load changes under it.

    python3 benches/verdicts.py aa [RUNS]           # A/A: a candidate identical to the baseline
    python3 benches/verdicts.py sensitivity [RUNS]  # one query does ~10% more work
    python3 benches/verdicts.py separate [PAIRS]    # two runs of one schema, the load changed between

Every run is TaleForge's data at `--scale 0.1` (seeded once in a kept
throwaway cluster) with one candidate and 3 rounds (aa: TaleForge's workload
plus a scan, 3-second phases; sensitivity: the scan beside an index lookup,
20-second phases, measuring on while a verdict is open, for up to 150 s), once with
`--design duet` and once with `--design rounds`, while a CPU hog (one `yes`
per core) switches on and off at random moments. Prints, per design:

- aa: runs with any false "faster"/"slower" latency verdict (goal: at most
  1 in 20 for duet), inconclusive verdicts, and work verdicts that are not
  "no change" (goal: none);
  and, over every latency estimate, how honest the intervals are: the
  mean squared log ratio over its squared standard error (goal: about 1),
  the share of intervals that miss 1.00 (goal: about the significance,
  5%) and the mean log ratio (a side of the duet favoured: goal about 0);
- sensitivity: runs in which the slowed query (`scan`) is called slower on
  latency (goal: 9 of 10) and on work (goal: every run), and the false
  calls on the other queries.

- separate: pairs of runs of the same schema (TaleForge's workload plus the
  scan, no candidate, 3 rounds of 3-second phases), the first on a quiet
  machine and the second with the hog on throughout, judged with
  `schemabench compare --gate both`: pairs called a regression (exit 5;
  goal: none) and latency rows called slower.

Set DESIGNS=duet to measure one design only.
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

from kept_cluster import KeptCluster

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "schemabench")
TALEFORGE = os.path.join(ROOT, "scenarios", "taleforge")

# The slowed query: a scan of every story segment, so its work (and time)
# follows the rows the candidate adds.
SCAN = '''
[[workload.queries]]
name = "scan"
weight = 2
as = "postgres"
access = "read"
sql = "select count(*) from public.story_segments where content like $1"
params = [{ from = "value", of = { gen = "enum", values = ["%dragon and the%"] } }]
'''

# Sensitivity: the scan beside an index lookup that the candidate leaves
# alone, 20-second phases (a run takes about two minutes).
FOCUSED = '''
[workload.actor]
table = "profiles"

[[workload.queries]]
name = "lookup"
weight = 3
as = "postgres"
access = "read"
sql = "select count(*) from public.story_segments where story_id = $1"
params = [{ from = "owned", column = "stories.id" }]
''' + SCAN + '''
[load]
[[load.phases]]
name = "warm"
warmup = true
duration = "2s"
clients = 4

[[load.phases]]
name = "steady"
duration = "20s"
clients = 4
'''

CANDIDATES = {
    "aa": '''
[[candidates]]
name = "same"
description = "identical to the baseline"
sql = "select 1"
''',
    # About 10% more story segments (copies of every tenth, at new page
    # numbers): the scan reads ~10% more rows and pages.
    "separate": "",
    "sensitivity": '''
[[candidates]]
name = "more_segments"
description = "about 10% more story segments"
sql = """
insert into public.story_segments (story_id, user_id, position, content, audio_url, created_at, updated_at)
select story_id, user_id, position + 100000, content, audio_url, created_at, updated_at
from public.story_segments where abs(hashtext(id::text)) % 10 = 0
"""
''',
}


def scenario(kind, directory):
    """TaleForge's data with absolute migration paths, a workload with the
    scan query (TaleForge's own for aa, a focused one for sensitivity) and
    one candidate."""
    with open(os.path.join(TALEFORGE, "scenario.toml")) as f:
        text = f.read()
    text = text.split("[[candidates]]", 1)[0]
    text = text.replace('"migrations/', f'"{TALEFORGE}/migrations/')
    if kind in ("aa", "separate"):
        text = text.replace("[load]", SCAN + "\n[load]", 1)
    else:
        text = text.split("[workload.actor]", 1)[0] + FOCUSED
    path = os.path.join(directory, f"{kind}.toml")
    with open(path, "w") as f:
        f.write(text + CANDIDATES[kind])
    return path


class Hog:
    """One `yes` per core, switched on and off at random moments."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.procs = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        while not self.stop.wait(self.rng.uniform(2.0, 8.0)):
            if self.procs:
                self.off()
            else:
                self.procs = [subprocess.Popen(["yes"], stdout=subprocess.DEVNULL)
                              for _ in range(os.cpu_count() or 2)]

    def off(self):
        for p in self.procs:
            p.kill()
            p.wait()
        self.procs = []

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.off()


def run(path, design, out, kind):
    # Sensitivity measures on, round after round, for up to 150 s while a
    # verdict is still inconclusive (`--budget`): half the 5 minutes the
    # target allows.
    length = ["--duration", "3s"] if kind == "aa" else ["--budget", "150s"]
    subprocess.run([BIN, "run", path, "--scale", "0.1", *length, "--rounds", "3",
                    "--design", design, "--out", out],
                   check=False, capture_output=True, text=True)
    with open(os.path.join(out, "results.json")) as f:
        return json.load(f)


class Hogging:
    """One `yes` per core for as long as the block runs."""

    def __enter__(self):
        self.procs = [subprocess.Popen(["yes"], stdout=subprocess.DEVNULL)
                      for _ in range(os.cpu_count() or 2)]

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
            p.wait()


def separate(pairs, path, work):
    """Runs of one schema, quiet then busy, compared as a nightly job would."""
    regressions = slower = 0
    with KeptCluster(BIN, [path, "--scale", "0.1"]):
        for i in range(pairs):
            quiet, busy = (os.path.join(work, f"{side}-{i}") for side in ("quiet", "busy"))
            run(path, "duet", quiet, "aa")
            with Hogging():
                run(path, "duet", busy, "aa")
            judged = subprocess.run([BIN, "compare", os.path.join(quiet, "results.json"),
                                     os.path.join(busy, "results.json"), "--gate", "both"],
                                    capture_output=True, text=True, check=False)
            called = sum(line.startswith("| `") and "🔴" in line for line in judged.stdout.splitlines())
            regressions += judged.returncode == 5
            slower += called
            print(f"pair {i + 1:>2}: compare exit {judged.returncode}, {called} row(s) called slower", flush=True)
    print(f"\nseparate runs, quiet then busy, {pairs} pairs: regressions called {regressions}/{pairs}, "
          f"rows called slower {slower}")


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 else "aa"
    if kind not in CANDIDATES:
        sys.exit(__doc__)
    if kind == "separate":
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        work = tempfile.mkdtemp(prefix="schemabench-verdicts-")
        separate(int(sys.argv[2]) if len(sys.argv) > 2 else 6, scenario(kind, work), work)
        return
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else (20 if kind == "aa" else 10)
    designs = os.environ.get("DESIGNS", "duet,rounds").split(",")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="schemabench-verdicts-")
    path = scenario(kind, work)
    tally = {d: {"runs": 0, "false": 0, "inconclusive": 0, "decided": 0, "beyond": 0, "work_false": 0,
                 "hit": 0, "work_hit": 0, "seconds": 0.0, "z2": [], "missed": 0, "logs": []}
             for d in designs}
    with KeptCluster(BIN, [path, "--scale", "0.1"]), Hog(seed=7):
        for i in range(runs):
            for design in designs:
                started = time.time()
                r = run(path, design, os.path.join(work, f"{design}-{i}"), kind)
                t = tally[design]
                t["runs"] += 1
                t["seconds"] += time.time() - started
                target = "scan" if kind == "sensitivity" else None
                called = [c for c in r["comparisons"] if c["estimate"]["verdict"] in ("faster", "slower")]
                wrong = [c for c in called if c["query"] != target]
                t["false"] += bool(wrong)
                t["inconclusive"] += sum(c["estimate"]["verdict"] == "inconclusive" for c in r["comparisons"])
                # Ratios past 10% that the run decided (the TaleForge target).
                far = [c for c in r["comparisons"] if abs(c["estimate"]["ratio"] - 1) > 0.1]
                t["beyond"] += len(far)
                t["decided"] += sum(c["estimate"]["verdict"] in ("faster", "slower") for c in far)
                if kind == "aa":
                    for c in r["comparisons"]:
                        e = c["estimate"]
                        if e["log_se"] > 0 and e["samples"] >= 2:
                            t["z2"].append((math.log(e["ratio"]) / e["log_se"]) ** 2)
                            t["logs"].append(math.log(e["ratio"]))
                            t["missed"] += e["ci_low"] > 1 or e["ci_high"] < 1
                hit = any(c["query"] == target and c["estimate"]["verdict"] == "slower" for c in called)
                t["hit"] += hit
                works = r.get("work_comparisons", [])
                t["work_false"] += any(w["query"] != target and w["estimate"]["verdict"] in ("faster", "slower")
                                       for w in works)
                t["work_hit"] += any(w["query"] == target and w["estimate"]["verdict"] == "slower"
                                     for w in works)
                print(f"{design:<6} run {i + 1:>2}: {len(wrong)} false call(s) "
                      f"{[(c['query'], c['percentile'], round(c['estimate']['ratio'], 2)) for c in wrong]}"
                      + (f", scan slower: {hit}" if target else ""), flush=True)
    print(f"\n{kind}, {runs} runs per design, hog switching on and off:")
    for design, t in tally.items():
        line = (f"  {design:<6} runs with a false latency call: {t['false']}/{t['runs']}, "
                f"inconclusive verdicts: {t['inconclusive']}, ratios past 10% decided: {t['decided']}/{t['beyond']}, "
                f"runs with a false work call: {t['work_false']}, "
                f"mean run {t['seconds'] / max(t['runs'], 1):.0f} s")
        if t["z2"]:
            n = len(t["z2"])
            line += (f"; intervals: mean z² {sum(t['z2']) / n:.2f}, missing 1.00 {t['missed'] / n:.1%}, "
                     f"mean log ratio {sum(t['logs']) / n:+.3f} over {n} estimates")
        if kind == "sensitivity":
            line += f"; scan called slower: latency {t['hit']}/{t['runs']}, work {t['work_hit']}/{t['runs']}"
        print(line)


if __name__ == "__main__":
    main()
