#!/bin/sh
# usage: stress.sh RUNS COMMAND... -- run COMMAND (a pytest line) RUNS times in
# a row while a busy loop per core keeps the machine loaded, as CI's shared
# machine may be; stop at the first failure.  Prints one line per run.
runs=$1; shift
busy=""
for core in $(seq "$(nproc)"); do
    ( while :; do :; done ) &
    busy="$busy $!"
done
trap 'kill $busy 2>/dev/null' EXIT INT TERM
for run in $(seq "$runs"); do
    start=$(date +%s)
    "$@" > stress-run.log 2>&1
    status=$?
    echo "run $run of $runs: exit $status, $(( $(date +%s) - start )) s, $(tail -n 1 stress-run.log), load $(cut -d' ' -f1 /proc/loadavg)"
    [ "$status" -eq 0 ] || { echo "stopped: the log is stress-run.log"; exit "$status"; }
done
rm -f stress-run.log
