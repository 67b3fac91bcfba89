#!/usr/bin/env python3
"""Compilations and deoptimizations of one JFR recording, split into the phases churn-warmup.sh marks.

usage: jit_phases.py RECORDING.json PHASES

RECORDING.json is `jfr print --json --events jdk.Compilation,jdk.Deoptimization`; PHASES has lines
"name epoch-ms", each the start of a phase, in order. For every phase: compilations by tier and the CPU the
compilers report for them; for the phase named "close": each deoptimization, where its trap sat and which
compiled method it invalidated (found by compile id), since that whole method is compiled again.
"""
import datetime
import json
import sys


def epoch_ms(stamp):
    return datetime.datetime.fromisoformat(stamp.replace('Z', '+00:00')).timestamp() * 1000


def millis(duration):
    # JFR prints durations as ISO-8601 ("PT0.0123S"); compilations take well under a minute
    return float(duration[2:-1]) * 1000 if duration.startswith('PT') and duration.endswith('S') else 0.0


def method_name(method):
    return method['type']['name'].split('/')[-1] + '.' + method['name']


def main(recording, phases_file):
    with open(phases_file) as f:
        phases = [(line.split()[0], int(line.split()[1])) for line in f if line.strip()]
    with open(recording) as f:
        events = json.load(f)['recording']['events']

    def phase_of(ms):
        name = None
        for phase, start in phases:
            if ms >= start:
                name = phase
        return name

    compiled = {}
    totals = {}
    traps = []
    for event in events:
        values = event['values']
        phase = phase_of(epoch_ms(values['startTime']))
        if event['type'] == 'jdk.Compilation':
            compiled[values['compileId']] = values
            c2 = values['compileLevel'] == 4
            count, c2_count, c2_ms, c2_code = totals.get(phase, (0, 0, 0.0, 0))
            totals[phase] = (count + 1, c2_count + c2, c2_ms + (millis(values['duration']) if c2 else 0),
                             c2_code + (values.get('codeSize', 0) if c2 else 0))
        elif event['type'] == 'jdk.Deoptimization' and phase == 'close':
            traps.append(values)
    for phase, _ in phases:
        if phase in totals:
            count, c2_count, c2_ms, c2_code = totals[phase]
            print(f'  {phase}: {count} compilations, {c2_count} by C2 ({c2_ms:.0f} ms, {c2_code // 1024} KiB code)')
    print(f'  close: {len(traps)} deoptimizations (trap -> compiled method invalidated, its code size)')
    for trap in sorted(traps, key=lambda t: -compiled.get(t['compileId'], {}).get('codeSize', 0)):
        victim = compiled.get(trap['compileId'])
        where = method_name(trap['method']) + ':' + str(trap['lineNumber'])
        lost = f"{method_name(victim['method'])} ({victim.get('codeSize', 0)} B)" if victim else 'compiled before the recording'
        print(f"    {where:<55} {trap['reason']:<14} -> {lost}")


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
