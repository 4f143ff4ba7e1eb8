"""A throwaway cluster kept running for a bench script: seeded by
`schemabench seed --keep`, its address read from what schemabench prints,
its password from the passfile it leaves (never from a command line)."""
import os
import re
import subprocess
import sys


class KeptCluster:
    """Seeds `args` (after `seed`) with --keep; sets DATABASE_URL and
    PGPASSFILE for schemabench, psql and pgbench; stops and removes the
    cluster on exit."""

    def __init__(self, binary, args, cwd=None):
        seeded = subprocess.run([binary, "seed", *args, "--keep"], cwd=cwd, check=True,
                                capture_output=True, text=True)
        hint = re.search(r"PGPASSFILE=(\S+) psql -h (\S+) -p (\d+) -U postgres (\S+)\s+# stop with: (.*)",
                         seeded.stderr)
        if not hint:
            sys.exit("could not read the kept cluster's address:\n" + seeded.stderr)
        passfile, _, self.port, self.database, self.stop = hint.groups()
        with open(passfile) as f:
            password = f.readline().strip().rsplit(":", 1)[1]
        os.environ["DATABASE_URL"] = f"postgresql://postgres:{password}@127.0.0.1:{self.port}/postgres"
        os.environ["PGPASSFILE"] = passfile

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        subprocess.run(self.stop.split(), capture_output=True)
        data_dir = self.stop.split("-D", 1)[1].strip()
        subprocess.run(["rm", "-rf", os.path.dirname(data_dir)])
