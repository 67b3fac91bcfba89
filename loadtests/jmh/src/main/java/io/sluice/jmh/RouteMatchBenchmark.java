package io.sluice.jmh;

import io.sluice.accesslog.AccessLogWriter;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.http.ExchangeListener;
import io.sluice.metrics.SluiceMetrics;
import io.sluice.routing.ExchangeRecorders;
import io.sluice.routing.Route;
import io.sluice.routing.Router;
import io.sluice.routing.ServerRoutes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Location matching in a server with 200 locations (prefix, exact and regular-expression ones, as a large
 * site has), for a path that hits a prefix, an exact location, a regex and none.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RouteMatchBenchmark {

    @Param({"/app137/orders/42", "= /health150", "/img/logo.png", "/nothing/here"})
    public String request;

    private ServerRoutes routes;
    private String path;

    @Setup
    public void compile() {
        StringBuilder locations = new StringBuilder();
        for (int i = 0; i < 180; i++) {
            locations.append("{ match = \"/app").append(i).append("/\", return { body = \"p\" } }\n");
        }
        for (int i = 140; i < 150; i++) {
            locations.append("{ match = \"= /health").append(i).append("\", return { body = \"e\" } }\n");
        }
        locations.append("{ match = \"= /health150\", return { body = \"e\" } }\n");
        for (int i = 0; i < 8; i++) {
            locations.append("{ match = \"~ \\\\.(gif|jpg|png|webp").append(i).append(")$\", return { body = \"r\" } }\n");
        }
        locations.append("{ match = \"~ \\\\.(png|svg)$\", return { body = \"r\" } }\n");
        String hocon = "sluice { servers = [ { listen = [ \"127.0.0.1:8080\" ]\n locations = [\n" + locations + "] } ] }";
        SluiceConfig config = ConfigLoader.parse(hocon, Path.of("."));
        Router router = Router.compile(config, location -> exchange -> ExchangeListener.IGNORE_BODY,
                new ExchangeRecorders(new SluiceMetrics(), new AccessLogWriter()));
        routes = router.forAddress("127.0.0.1:8080").select("example.com");
        path = request.startsWith("= ") ? request.substring(2) : request;
    }

    @Benchmark
    public Route match() {
        return routes.match(path);
    }
}
