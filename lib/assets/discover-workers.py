"""Writes Prometheus file-based discovery files from the Spark masters' own worker lists.

Runs on the master (spark-worker-discovery.service); what it does and why: README, Monitoring.
Settings from the environment (discovery.env); ONCE=1 runs once.
"""

import json
import os
import socket
import ssl
import sys
import time
import urllib.request


def write_targets(out_dir, name, groups):
    """Writes one file_sd file atomically: Prometheus never reads half of it."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(groups, f, indent=1, sort_keys=True)
        f.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def master_workers(url):
    """The hosts of every worker one master lists, in any state."""
    # The master's certificate names its public address, not this one: the request stays on
    # the master itself, and the page carries nothing secret.
    context = ssl._create_unverified_context() if url.startswith("https://") else None
    with urllib.request.urlopen(url, timeout=10, context=context) as response:
        page = json.load(response)
    return {w["host"] for w in page.get("workers", []) if w.get("host")}


def open_ports(host, first, last):
    """The ports in first..last that accept a TCP connection on host."""
    found = []
    for port in range(first, last + 1):
        try:
            with socket.create_connection((host, port), timeout=0.5):
                found.append(port)
        except OSError:
            pass
    return found


def run_once(env):
    out_dir = env["OUT_DIR"]
    # Every master: the active one lists the workers, standbys list none, a master that is
    # down is skipped. With none readable, the last lists stay.
    hosts, errors = set(), []
    for url in env["MASTER_JSON_URLS"].split():
        try:
            hosts.update(master_workers(url))
        except (OSError, ValueError) as error:
            errors.append(f"{url}: {error}")
    if len(errors) == len(env["MASTER_JSON_URLS"].split()):
        print(f"discover-workers: no master readable ({'; '.join(errors)}); keeping the last lists", file=sys.stderr)
    else:
        hosts = sorted(hosts)
        workers = [{"targets": [f"{h}:{env['WORKER_UI_PORT']}" for h in hosts], "labels": {"role": "worker"}}]
        nodes = [{"targets": [f"{h}:{env['NODE_EXPORTER_PORT']}" for h in hosts], "labels": {"role": "worker"}}]
        write_targets(out_dir, "spark-workers.json", workers if hosts else [])
        write_targets(out_dir, "node-workers.json", nodes if hosts else [])
    first, last = (int(p) for p in env["DRIVER_UI_PORTS"].split("-"))
    ports = open_ports(env["DRIVER_HOST"], first, last)
    drivers = [{"targets": [f"{env['DRIVER_HOST']}:{p}" for p in ports], "labels": {"role": "driver"}}]
    write_targets(out_dir, "spark-drivers.json", drivers if ports else [])


def main():
    env = os.environ
    interval = int(env.get("INTERVAL", "30"))
    while True:
        run_once(env)
        if env.get("ONCE") == "1":
            return
        time.sleep(interval)


if __name__ == "__main__":
    main()
