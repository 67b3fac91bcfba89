package io.sluice.jmh;

import io.sluice.http.RequestPath;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/** Path normalisation, run once per request before routing: typical canonical paths and ones to resolve. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RequestPathBenchmark {

    @Param({"/", "/static/small.html", "/api/v1/customers/4711/orders?page=2", "/a/./b//c/../d.css", "/caf%C3%A9/menu"})
    public String target;

    @Benchmark
    public String normalize() {
        return RequestPath.normalize(RequestPath.rawPath(target));
    }
}
