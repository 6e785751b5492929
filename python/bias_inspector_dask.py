#!/usr/bin/env python3
"""Runs a bias-inspector analysis sharded over a Dask cluster and merges the shards' states.

One task per shard runs the bias-inspector CLI on a Dask worker (Node.js and the CLI installed
there, the spec and data reachable at the same paths), writes the shard's partial state and
returns it; the client merges the states with `bias-inspector merge` into the same report a
single run gives (docs/SHARDING.md). A failed task is retried once; a shard that fails twice
fails the run with its error: a partial report is never written.

  python3 bias_inspector_dask.py --scheduler tcp://host:8786 --spec s.bias.json --shards 8 \
      --json report.json [--analysis groups] [--node node] [--cli /path/dist/cli.js] [-- extra CLI flags]
  python3 bias_inspector_dask.py --local 2 ...      # a LocalCluster of 2 worker processes

Needs the `distributed` package (Debian: python3-distributed).
"""
import argparse
import logging
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CLI = os.path.join(HERE, "..", "dist", "cli.js")


def run_shard(index, shards, analysis, spec, node, cli, extra, env, kill_once=None):
    """Runs one shard on this worker; returns its state text, timing and where it ran."""
    if kill_once and index == 0 and not os.path.exists(kill_once):
        # Test hook (--test-kill-worker-once): the first attempt of shard 0 kills its worker process,
        # as a crashed or preempted machine would; Dask must run the shard again elsewhere.
        with open(kill_once, "w") as f:
            f.write(str(os.getpid()))
        os.kill(os.getpid(), 9)
    with tempfile.TemporaryDirectory(prefix="bias-shard-") as folder:
        state = os.path.join(folder, "state-%d.json" % index)
        command = [node, cli, analysis, "--spec", spec, "--shard", "%d/%d" % (index, shards), "--state", state] + list(extra)
        started = time.time()
        child_env = dict(os.environ)
        child_env.update(env)
        done = subprocess.run(command, capture_output=True, text=True, env=child_env)
        seconds = time.time() - started
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise RuntimeError("shard %d/%d on %s: exit %d: %s" % (index, shards, socket.gethostname(), done.returncode, " | ".join(tail)))
        with open(state, encoding="utf-8") as f:
            text = f.read()
    # Peak RSS of the CLI processes this worker has run so far (Linux: KiB): the shard's, or an earlier larger one.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return {"shard": index, "state": text, "seconds": seconds, "host": socket.gethostname(), "pid": os.getpid(), "peakRssMb": peak}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://host:8786")
    where.add_argument("--local", type=int, metavar="N", help="start a LocalCluster of N worker processes")
    parser.add_argument("--spec", required=True, help="analysis spec (*.bias.json), reachable at this path on every worker")
    parser.add_argument("--shards", type=int, required=True, help="number of shards (tasks)")
    parser.add_argument("--analysis", default="groups", help="CLI analysis to shard (default groups)")
    parser.add_argument("--json", required=True, help="merged report (JSON) to write")
    parser.add_argument("--node", default="node", help="Node.js on the workers (default: node on PATH)")
    parser.add_argument("--cli", default=DEFAULT_CLI, help="bias-inspector cli.js on the workers")
    parser.add_argument("--retries", type=int, default=1, help="retries of a failed shard (default 1)")
    parser.add_argument("--env", action="append", default=[], metavar="K=V", help="environment for the CLI on the workers")
    parser.add_argument("--check", action="store_true", help="gate the merged report on the spec's budgets (merge --check: exit 3 when one fails)")
    parser.add_argument("--sarif", help="with --check: SARIF log of the failing budgets")
    parser.add_argument("--test-kill-worker-once", metavar="MARKER", help=argparse.SUPPRESS)
    parser.add_argument("extra", nargs="*", help="further CLI flags for every shard (after --)")
    args = parser.parse_args(argv)
    if args.shards < 1:
        parser.error("--shards must be at least 1")
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        sys.stderr.write("bias-inspector distributed: the Python package 'distributed' is not installed (Debian: apt-get install python3-distributed)\n")
        return 2
    env = dict(kv.split("=", 1) for kv in args.env)
    spec = os.path.abspath(args.spec)
    cluster = None
    if args.local:
        # The workers' own logs would repeat every shard error (the client reports it once).
        cluster = LocalCluster(n_workers=args.local, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.CRITICAL)
        client = Client(cluster)
    else:
        client = Client(args.scheduler)
    try:
        futures = [
            client.submit(run_shard, i, args.shards, args.analysis, spec, args.node, os.path.abspath(args.cli), args.extra, env, args.test_kill_worker_once,
                          key="bias-shard-%d-of-%d-%s" % (i, args.shards, os.getpid()), retries=args.retries, pure=False)
            for i in range(args.shards)
        ]
        try:
            results = client.gather(futures)
        except Exception as error:  # a shard failed twice, or its worker died too often
            sys.stderr.write("bias-inspector distributed: %s\n" % error)
            return 1
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    with tempfile.TemporaryDirectory(prefix="bias-merge-") as folder:
        paths = []
        for r in sorted(results, key=lambda r: r["shard"]):
            path = os.path.join(folder, "state-%d.json" % r["shard"])
            with open(path, "w", encoding="utf-8") as f:
                f.write(r["state"])
            paths.append(path)
        timing = os.path.join(folder, "shards.json")
        with open(timing, "w", encoding="utf-8") as f:
            json.dump([{k: r[k] for k in ("shard", "seconds", "host", "pid", "peakRssMb")} for r in results], f)
        gate = (["--check"] if args.check else []) + (["--sarif", os.path.abspath(args.sarif)] if args.sarif else [])
        done = subprocess.run([args.node, os.path.abspath(args.cli), "merge", *paths, "--shard-timing", timing, "--json", args.json, *gate])
        return done.returncode


if __name__ == "__main__":
    sys.exit(main())
