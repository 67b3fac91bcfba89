package io.sluice.config;

/** What a location does with a request: exactly one of {@code return}, {@code static} or {@code proxy}. */
public sealed interface LocationAction permits ReturnConfig, StaticConfig, ProxyConfig {
}
