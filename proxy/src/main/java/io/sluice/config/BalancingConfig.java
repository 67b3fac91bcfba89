package io.sluice.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * How an upstream group spreads requests and decides which servers are fit to receive them: the
 * {@code balance} algorithm and its {@code hash-key}, passive health (failures seen by real requests),
 * active health checks ({@code healthCheck} is null when the group has no {@code health-check} block), the
 * retry budget, {@code slow-start} (zero when off), and the per-server request limit
 * {@code max-connections} (zero when unlimited) with its {@code queue}.
 */
public record BalancingConfig(Algorithm algorithm, VariableText hashKey, PassiveHealth passiveHealth,
                              HealthCheck healthCheck, RetryBudget retryBudget, Duration slowStart,
                              int maxConnections, Queue queue) {

    public enum Algorithm {
        ROUND_ROBIN("round-robin"), LEAST_CONN("least-conn"), P2C("p2c"), RANDOM("random"), HASH("hash");

        private final String key;

        Algorithm(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    /**
     * {@code maxFails} failures within {@code failTimeout} take a server out for {@code failTimeout};
     * {@code maxFails = 0} turns passive health off.
     */
    public record PassiveHealth(int maxFails, Duration failTimeout, boolean failOn5xx) {
    }

    /**
     * HAProxy-style active checks: a GET of {@code path} every {@code interval} (plus up to {@code jitter}
     * of it, a fraction between 0 and 1), answered within {@code timeout} with one of {@code expectStatus};
     * {@code rise} passes in a row bring a server up, {@code fall} failures in a row take it down. With
     * {@code grpcService} (null for HTTP checks; empty for the server as a whole) the check is instead the
     * gRPC health protocol's {@code grpc.health.v1.Health/Check} for that service, passed by SERVING.
     */
    public record HealthCheck(String path, Duration interval, Duration timeout, int rise, int fall,
                              List<Integer> expectStatus, double jitter, String grpcService) {
    }

    /** Requests that find every server at {@code max-connections} wait, up to {@code size} of them, for {@code timeout}. */
    public record Queue(int size, Duration timeout) {
    }

    /** Retries may add at most {@code ratio} of the requests, but always {@code minPerSecond} per second. */
    public record RetryBudget(double ratio, int minPerSecond) {
    }

    static BalancingConfig read(ConfigNode node) {
        String[] names = new String[Algorithm.values().length];
        for (Algorithm algorithm : Algorithm.values()) {
            names[algorithm.ordinal()] = algorithm.key();
        }
        String balance = ConfigChecks.oneOf(node, "balance", "round-robin", names);
        Algorithm algorithm = Algorithm.valueOf(balance.toUpperCase(Locale.ROOT).replace('-', '_'));
        VariableText hashKey = VariableText.read(node, "hash-key", "$remote_addr", VariableText.ALL);
        PassiveHealth passive = readPassive(node.child("passive-health"));
        HealthCheck check = node.has("health-check") ? readHealthCheck(node.child("health-check")) : null;
        RetryBudget budget = readRetryBudget(node.child("retry-budget"));
        Duration slowStart = node.duration("slow-start", Duration.ZERO);
        if (slowStart.isNegative()) {
            node.error("slow-start", "must not be negative (0s turns slow start off)");
            slowStart = Duration.ZERO;
        }
        int maxConnections = node.integer("max-connections", 0);
        if (maxConnections < 0) {
            node.error("max-connections", "must not be negative (0 means unlimited)");
        }
        Queue queue = readQueue(node.child("queue"));
        return new BalancingConfig(algorithm, hashKey, passive, check, budget, slowStart, Math.max(0, maxConnections), queue);
    }

    private static Queue readQueue(ConfigNode node) {
        int size = node.integer("size", 0);
        if (size < 0) {
            node.error("size", "must not be negative (0 answers 503 at once)");
        }
        Duration timeout = ConfigChecks.positive(node, "timeout", Duration.ofSeconds(1));
        node.finish();
        return new Queue(Math.max(0, size), timeout);
    }

    private static PassiveHealth readPassive(ConfigNode node) {
        int maxFails = node.integer("max-fails", 3);
        if (maxFails < 0) {
            node.error("max-fails", "must not be negative (0 turns passive health off)");
        }
        Duration failTimeout = ConfigChecks.positive(node, "fail-timeout", Duration.ofSeconds(10));
        boolean failOn5xx = node.bool("fail-on-5xx", false);
        node.finish();
        return new PassiveHealth(Math.max(0, maxFails), failTimeout, failOn5xx);
    }

    private static HealthCheck readHealthCheck(ConfigNode node) {
        String path = node.string("path", "/healthz");
        if (!path.startsWith("/")) {
            node.error("path", "must start with / (got \"" + path + "\")");
        }
        Duration interval = ConfigChecks.positive(node, "interval", Duration.ofSeconds(5));
        Duration timeout = ConfigChecks.positive(node, "timeout", Duration.ofSeconds(1));
        int rise = node.integer("rise", 2);
        if (rise < 1) {
            node.error("rise", "must be at least 1");
        }
        int fall = node.integer("fall", 3);
        if (fall < 1) {
            node.error("fall", "must be at least 1");
        }
        List<Integer> expect = node.integers("expect-status", List.of(200));
        if (expect.isEmpty() || expect.stream().anyMatch(code -> code < 100 || code > 599)) {
            node.error("expect-status", "must list HTTP status codes such as [200, 204]");
        }
        double jitter = readJitter(node);
        String grpcService = node.string("grpc-service", null);
        if (grpcService != null && (node.has("path") || node.has("expect-status"))) {
            node.error("grpc-service", "a gRPC check calls grpc.health.v1.Health/Check and passes on SERVING:"
                    + " path and expect-status do not apply");
        }
        node.finish();
        return new HealthCheck(path, interval, timeout, Math.max(1, rise), Math.max(1, fall), List.copyOf(expect), jitter,
                grpcService);
    }

    /** {@code jitter} as a percentage ({@code "10%"}) or a fraction ({@code 0.1}). */
    private static double readJitter(ConfigNode node) {
        String text = node.string("jitter", "10%").trim();
        try {
            double value = text.endsWith("%")
                    ? Double.parseDouble(text.substring(0, text.length() - 1).trim()) / 100
                    : Double.parseDouble(text);
            if (value >= 0 && value <= 1) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        node.error("jitter", "must be a percentage between 0% and 100% such as 10% (got \"" + text + "\")");
        return 0.1;
    }

    private static RetryBudget readRetryBudget(ConfigNode node) {
        double ratio = node.number("ratio", 0.2);
        if (ratio < 0 || ratio > 1) {
            node.error("ratio", "must be between 0 and 1");
        }
        int minPerSecond = node.integer("min-per-second", 10);
        if (minPerSecond < 0) {
            node.error("min-per-second", "must not be negative");
        }
        node.finish();
        return new RetryBudget(Math.min(1, Math.max(0, ratio)), Math.max(0, minPerSecond));
    }
}
