package io.sluice.config;

/** What {@code /readyz} requires besides bound listeners and a loaded configuration. */
public record ReadinessConfig(boolean requireHealthyUpstreams) {

    static ReadinessConfig read(ConfigNode node) {
        boolean requireHealthyUpstreams = node.bool("require-healthy-upstreams", false);
        node.finish();
        return new ReadinessConfig(requireHealthyUpstreams);
    }
}
