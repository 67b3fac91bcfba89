#!/usr/bin/env python3
"""Turns run.sh's CSV into the Markdown report and the PNG chart (stdlib + gnuplot).

usage: report.py RESULTS.csv NOTES.txt OUT.md OUT.png

Per scenario: one row per target with the median over rounds (min-max in brackets) of the headline number,
the target's CPU µs per request (per connection for churn and tls-handshake), p50/p99 and errors. Then the
Sluice/nginx ratios, taken per round (both ran in the same round, minutes apart) and summarised as the
median with min-max. The chart shows those two ratios per scenario. With peers beyond nginx, a table puts
Sluice against each of them and names the best peer per scenario.

The paradigms set (paradigm-static-N, paradigm-proxy-N) gets its own section: per workload, tables of req/s
with errors, p99, memory and CPU per request by server and connection count, and a chart of the first three
(OUT-paradigms.png beside OUT.png).
"""
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict

ORDER = ["proxy", "churn", "static-small", "static-medium", "static-large", "h2-static", "h2-proxy",
         "tls-handshake", "idle"]
METRIC = {"static-medium": "MB/s", "static-large": "MB/s", "tls-handshake": "handshakes/s", "churn": "conn/s",
          "idle": "B/conn", "startup": "ms"}
LOWER_IS_BETTER = {"idle", "startup"}
PER = {"churn": "conn", "tls-handshake": "handshake"}
PARADIGM = re.compile(r"paradigm-(static|proxy)-(\d+)$")
WORKLOADS = {"static": "static 1 KiB", "proxy": "proxied GET (1 KiB from the backend)"}
SHORT = {"static": "static 1 KiB", "proxy": "proxied GET"}
# Not peers: a second Sluice build and the backend itself.
NOT_PEERS = {"sluice", "sluice-b", "direct"}


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def spread(values, fmt):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    middle = fmt(statistics.median(values))
    if len(values) == 1:
        return middle
    return f"{middle} ({fmt(min(values))}–{fmt(max(values))})"


def rate(v):
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"


def micro(v):
    return f"{v:.1f}"


def millis(v):
    return f"{v / 1000:.2f}"


def ratio(v):
    return f"{v:.2f}×"


def load(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def per_round_ratios(rows, scenario, column, a="sluice", b="nginx"):
    by_round = defaultdict(dict)
    for r in rows:
        if r["scenario"] == scenario and number(r[column]) is not None:
            by_round[r["round"]][r["target"]] = number(r[column])
    return [t[a] / t[b] for t in by_round.values() if a in t and b in t and t[b] > 0]


def main():
    csv_path, notes_path, md_path, png_path = sys.argv[1:5]
    rows = load(csv_path)
    targets = []
    for r in rows:
        if r["target"] not in targets:
            targets.append(r["target"])
    scenarios = [s for s in ORDER if any(r["scenario"] == s for r in rows)]
    out = ["# Sluice load test: " + os.path.basename(csv_path).rsplit(".", 1)[0], ""]
    with open(notes_path) as f:
        out += [f"- {line.rstrip()}" for line in f if line.strip()]
    out += ["", "CPU µs/op is the target's own CPU time over the measured run (its cgroup's where one could be made, "
            "else utime+stime of its processes) divided by the requests "
            "(connections for churn, handshakes for tls-handshake). Values are medians over rounds, min–max in "
            "brackets. \"other CPU\" is what processes outside the harness used during the run (% of one CPU).",
            ""]
    chart = []
    for scenario in scenarios:
        metric = METRIC.get(scenario, "req/s")
        out += [f"## {scenario}", "", f"| target | {metric} | CPU µs/{PER.get(scenario, 'req')} | p50 ms | p99 ms "
                "| errors | other CPU % | notes |", "|---|---|---|---|---|---|---|---|"]
        for target in targets:
            mine = [r for r in rows if r["scenario"] == scenario and r["target"] == target]
            if not mine:
                continue
            measured = [r for r in mine if number(r["value"]) is not None]
            notes = sorted({r["note"] for r in mine if r["note"] and scenario != "idle"})
            if scenario == "idle" and measured:
                notes = [f"round {measured[0]['round']}: {measured[0]['note']}"]
            errors = sum(int(number(r["errors"]) or 0) for r in measured)
            out.append("| {} | {} | {} | {} | {} | {} | {} | {} |".format(
                target,
                spread([number(r["value"]) for r in measured], rate),
                spread([number(r["cpu_us_per_op"]) for r in measured], micro),
                spread([number(r["p50_us"]) for r in measured], millis),
                spread([number(r["p99_us"]) for r in measured], millis),
                errors if measured else "–",
                spread([number(r["foreign_pct"]) for r in measured], lambda v: f"{v:.0f}"),
                "; ".join(notes)))
        value_ratios = per_round_ratios(rows, scenario, "value")
        cpu_ratios = per_round_ratios(rows, scenario, "cpu_us_per_op")
        p99_ratios = per_round_ratios(rows, scenario, "p99_us")
        out.append("")
        if any(r["target"] == "sluice-b" for r in rows):
            ab_value = per_round_ratios(rows, scenario, "value", "sluice-b", "sluice")
            ab_cpu = per_round_ratios(rows, scenario, "cpu_us_per_op", "sluice-b", "sluice")
            if ab_value:
                line = f"sluice-b/sluice: {metric} {spread(ab_value, ratio)}"
                if ab_cpu:
                    line += f", CPU per {PER.get(scenario, 'request')} {spread(ab_cpu, ratio)}"
                out += [line + ".", ""]
        if value_ratios:
            better = "lower" if scenario in LOWER_IS_BETTER else "higher"
            line = f"Sluice/nginx: {metric} {spread(value_ratios, ratio)} ({better} is better)"
            if cpu_ratios:
                line += f", CPU per {PER.get(scenario, 'request')} {spread(cpu_ratios, ratio)} (lower is better)"
            if p99_ratios:
                line += f", p99 {spread(p99_ratios, ratio)}"
            out += [line + ".", ""]
            chart.append((scenario, statistics.median(value_ratios),
                          statistics.median(cpu_ratios) if cpu_ratios else None))
    startup = [r for r in rows if r["scenario"] == "startup"]
    if startup:
        out += ["## startup (launch to first answered request)", "", "| target | ms |", "|---|---|"]
        for target in targets:
            out.append(f"| {target} | {spread([number(r['value']) for r in startup if r['target'] == target], rate)} |")
        out.append("")
    if chart and draw(chart, png_path):
        out += ["## Sluice/nginx ratios", "", f"![Sluice/nginx ratios]({os.path.basename(png_path)})", ""]
    out += against_peers(rows, targets, scenarios)
    out += paradigms(rows, targets, png_path)
    with open(md_path, "w") as f:
        f.write("\n".join(out))


def median_of(rows, target, scenario, column):
    values = [number(r[column]) for r in rows if r["target"] == target and r["scenario"] == scenario]
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def against_peers(rows, targets, scenarios):
    """Sluice's ratio to every peer per scenario (per-round medians), and the best peer per scenario by CPU
    per operation (by MB/s for large files, by bytes per connection for idle)."""
    peers = [t for t in targets if t not in NOT_PEERS]
    if "sluice" not in targets or len(peers) < 2:
        return []
    out = ["## Sluice against each peer", "",
           "Sluice/peer per round, median (min–max). Throughput: higher is better (idle: bytes per connection, "
           "lower is better); CPU per operation: lower is better. The best peer is the one with the lowest CPU "
           "per operation (10 MiB files: the highest MB/s; idle: the fewest bytes per connection).", "",
           "| scenario | " + " | ".join(peers) + " | best peer |", "|---|" + "---|" * (len(peers) + 1)]
    for scenario in scenarios:
        cells, candidates = [], []
        for peer in peers:
            value = per_round_ratios(rows, scenario, "value", "sluice", peer)
            cpu = per_round_ratios(rows, scenario, "cpu_us_per_op", "sluice", peer)
            cell = " · ".join(x for x in (spread(value, ratio) if value else "",
                                          f"CPU {spread(cpu, ratio)}" if cpu else "") if x)
            cells.append(cell or "–")
            if scenario == "static-large" or scenario == "idle":
                key = median_of(rows, peer, scenario, "value")
            else:
                key = median_of(rows, peer, scenario, "cpu_us_per_op")
            if key is not None and key > 0:
                candidates.append((key, peer))
        best = "–"
        if candidates:
            pick = max(candidates) if scenario == "static-large" else min(candidates)
            unit = {"static-large": "MB/s", "idle": "B/conn"}.get(scenario, f"µs CPU/{PER.get(scenario, 'req')}")
            mine = median_of(rows, "sluice", scenario,
                             "value" if scenario in ("static-large", "idle") else "cpu_us_per_op")
            best = f"{pick[1]} ({rate(pick[0])} {unit}; Sluice {rate(mine) if mine is not None else '–'})"
        out.append(f"| {scenario} | " + " | ".join(cells) + f" | {best} |")
    return out + [""]


def paradigms(rows, targets, png_path):
    """Tables and a chart of the paradigms set: per workload, each server at each connection count."""
    runs = defaultdict(list)  # (workload, connections, target) -> measured rows
    for r in rows:
        m = PARADIGM.match(r["scenario"])
        if m and number(r["value"]) is not None:
            runs[(m.group(1), int(m.group(2)), r["target"])].append(r)
    if not runs:
        return []
    workloads = [w for w in WORKLOADS if any(k[0] == w for k in runs)]
    counts = sorted({k[1] for k in runs})
    servers = [t for t in targets if any(k[2] == t for k in runs)]

    def med(workload, n, target, column, scale=1.0):
        values = [number(r[column]) for r in runs.get((workload, n, target), [])]
        values = [v * scale for v in values if v is not None]
        return statistics.median(values) if values else None

    out = ["## Paradigms: concurrency models at rising connection counts", "",
           "Keep-alive connections held open by wrk for the whole run (one load thread on the load core), each "
           "server on one core. Medians over rounds. Memory is read once near the end of each run, with every "
           "connection open: RSS summed over all the server's processes (shared pages count once per process) "
           "and PSS (shared pages divided among the processes that map them)."]
    foreign = [number(r["foreign_pct"]) for measured in runs.values() for r in measured]
    foreign = [f for f in foreign if f is not None]
    if foreign:
        out[-1] += (f" Processes outside the harness used {min(foreign):.0f}–{max(foreign):.0f} % of a CPU during "
                    f"these runs (median {statistics.median(foreign):.0f} %).")
    out.append("")
    header = "| server | " + " | ".join(f"{n:,} conns" for n in counts) + " |"
    rule = "|---|" + "---|" * len(counts)
    for workload in workloads:
        out += [f"### {WORKLOADS[workload]}", ""]
        tables = [
            ("req/s (errors summed over rounds, as wrk counts them: failed connects, reads and writes, "
             "non-2xx answers, and every 2 s check that finds a request waiting longer than 5 s)",
             lambda n, t: cell_rate(n, t)),
            ("p99 latency, ms", lambda n, t: fmt(med(workload, n, t, "p99_us", 1e-3), "{:,.1f}")),
            ("memory, MiB: RSS summed / PSS", lambda n, t: "{} / {}".format(
                fmt(med(workload, n, t, "rss_kib", 1 / 1024), "{:,.0f}"),
                fmt(med(workload, n, t, "pss_kib", 1 / 1024), "{:,.0f}"))),
            ("CPU µs per request (the server's own)", lambda n, t: fmt(med(workload, n, t, "cpu_us_per_op"), "{:.1f}")),
        ]

        def cell_rate(n, t, workload=workload):
            value = med(workload, n, t, "value")
            errors = sum(int(number(r["errors"]) or 0) for r in runs.get((workload, n, t), []))
            text = fmt(value, "{:,.0f}")
            return text + (f" ({errors:,} err)" if errors else "")

        for title, cell in tables:
            out += [f"**{title}**", "", header, rule]
            out += [f"| {t} | " + " | ".join(cell(n, t) for n in counts) + " |" for t in servers]
            out.append("")
    chart_path = png_path[:-4] + "-paradigms.png" if png_path.endswith(".png") else png_path + "-paradigms.png"
    series = {(w, t): [(n, med(w, n, t, "value"), med(w, n, t, "p99_us", 1e-3), med(w, n, t, "rss_kib", 1 / 1024),
                        med(w, n, t, "pss_kib", 1 / 1024), med(w, n, t, "cpu_us_per_op"))
                       for n in counts] for w in workloads for t in servers}
    if draw_paradigms(series, workloads, servers, chart_path):
        out += [f"![paradigms]({os.path.basename(chart_path)})", ""]
    return out


def fmt(value, pattern):
    return "–" if value is None else pattern.format(value)


def draw_paradigms(series, workloads, servers, png_path):
    """One row per workload: req/s, p99, memory (RSS solid, PSS dashed) and CPU per request against
    connections (log scales), a line per server."""
    if shutil.which("gnuplot") is None:
        return False
    colors = ["#2b7bba", "#e07b39", "#3a9a4a", "#c0392b", "#8e44ad", "#7f8c8d", "#b8860b", "#17becf"]
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for (workload, target), points in series.items():
            path = os.path.join(tmp, f"{workload}-{target}.dat")
            with open(path, "w") as f:
                for point in points:
                    f.write(" ".join(str(x) if x is not None else "NaN" for x in point) + "\n")
            files[(workload, target)] = path
        panels = []
        for workload in workloads:
            for column, title, ylabel in ((2, "req/s", "requests per second"), (3, "p99 latency", "ms (log)"),
                                          (4, "memory: RSS summed (solid), PSS (dashed)", "MiB (log)"),
                                          (6, "CPU per request", "µs (log)")):
                logy = "set logscale y" if column != 2 else "unset logscale y"
                key = "set key top right noenhanced font ',9'" if not panels else "unset key"
                lines = [f"'{files[(workload, t)]}' using 1:{column} with linespoints lw 2 pt 7 "
                         f"lc rgb '{colors[i % len(colors)]}' title '{t}'" for i, t in enumerate(servers)]
                if column == 4:
                    lines += [f"'{files[(workload, t)]}' using 1:5 with linespoints lw 2 dt 2 pt 6 "
                              f"lc rgb '{colors[i % len(colors)]}' notitle" for i, t in enumerate(servers)]
                plots = ", ".join(lines)
                panels.append(f"set title '{SHORT[workload]}: {title}' noenhanced\nset ylabel '{ylabel}'\n{logy}\n"
                              f"{key}\nplot {plots}")
        script = f"""
set terminal pngcairo size 1900,{470 * len(workloads)} font 'sans,10'
set output '{png_path}'
set multiplot layout {len(workloads)},4 title 'Concurrency models, one core each, keep-alive connections (medians over rounds)'
set logscale x 10
set xrange [7:7000]
set xtics ('10' 10, '100' 100, '1,000' 1000, '5,000' 5000)
set xlabel 'connections'
set grid
set format y '%.0f'
{chr(10).join(panels)}
unset multiplot
"""
        result = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
        if result.returncode != 0:
            print("gnuplot failed: " + result.stderr, file=sys.stderr)
            return False
    return True


def draw(chart, png_path):
    """Clustered bars: the headline ratio and the CPU-per-request ratio per scenario, a line at 1.0."""
    if shutil.which("gnuplot") is None:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "ratios.dat")
        with open(data, "w") as f:
            for scenario, value, cpu in chart:
                f.write(f"{scenario} {value:.4f} {cpu if cpu is not None else 'NaN'}\n")
        cpu_series = ""
        if any(cpu is not None for _, _, cpu in chart):
            cpu_series = ", '' using 3 title 'CPU per request (lower is better)' lc rgb '#e07b39'"
        script = f"""
set terminal pngcairo size 1100,520 font 'sans,11'
set output '{png_path}'
set title 'Sluice / nginx (log scale): same run, median over rounds, one worker pinned to one core'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 2
set yrange [0.0625:16]
set ytics ('1/16' 0.0625, '1/8' 0.125, '1/4' 0.25, '1/2' 0.5, '1' 1, '2' 2, '4' 4, '8' 8, '16' 16)
set grid ytics
set xtics rotate by -25 noenhanced
set key outside bottom center horizontal
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 lc rgb '#444444'
plot '{data}' using 2:xtic(1) title 'throughput (higher is better; idle: bytes per connection, lower is better)' lc rgb '#2b7bba'{cpu_series}
"""
        result = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
        if result.returncode != 0:
            print("gnuplot failed: " + result.stderr, file=sys.stderr)
            return False
    return True


if __name__ == "__main__":
    main()
