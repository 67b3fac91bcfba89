#!/usr/bin/env python3
"""Turns run.sh's CSV into the Markdown report and the PNG chart (stdlib + gnuplot).

usage: report.py RESULTS.csv NOTES.txt OUT.md OUT.png

Per scenario: one row per target with the median over rounds (min-max in brackets) of the headline number,
the target's CPU µs per request (per connection for churn and tls-handshake), p50/p99 and errors. Then the
Sluice/nginx ratios, taken per round (both ran in the same round, minutes apart) and summarised as the
median with min-max. The chart shows those two ratios per scenario.
"""
import csv
import os
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
    out += ["", "CPU µs/op is the target's own utime+stime over the measured run divided by the requests "
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
    with open(md_path, "w") as f:
        f.write("\n".join(out))


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
