-- wrk hook: after the run, print one machine-readable line for run.sh (requests, bytes, latency
-- percentiles from wrk's own histogram, errors by kind). The requests wrk sends are unchanged.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d bytes=%d seconds=%.3f p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.bytes, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
