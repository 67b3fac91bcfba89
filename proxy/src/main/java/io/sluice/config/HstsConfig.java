package io.sluice.config;

import com.typesafe.config.ConfigValueType;

import java.time.Duration;

/**
 * {@code hsts { max-age, include-subdomains, preload }}: the {@code Strict-Transport-Security} header
 * added to every response sent over TLS. {@code max-age} is seconds (a plain number, as in the header)
 * or a duration such as {@code 365d}. {@code headerValue} is the header, e.g.
 * {@code max-age=31536000; includeSubDomains}, built once per configuration.
 */
public record HstsConfig(long maxAgeSeconds, boolean includeSubdomains, boolean preload, String headerValue) {

    static HstsConfig read(ConfigNode node) {
        long maxAge = node.raw("max-age")
                .filter(value -> value.valueType() == ConfigValueType.NUMBER)
                .map(value -> ((Number) value.unwrapped()).longValue())
                .orElseGet(() -> node.duration("max-age", Duration.ofDays(365)).toSeconds());
        if (maxAge < 0) {
            node.error("max-age", "must not be negative (0 tells browsers to forget the policy)");
        }
        boolean includeSubdomains = node.bool("include-subdomains", false);
        boolean preload = node.bool("preload", false);
        if (preload && (!includeSubdomains || maxAge < 31536000)) {
            node.error("preload", "preload lists require include-subdomains = true and max-age of at least 1 year");
        }
        node.finish();
        long seconds = Math.max(0, maxAge);
        return new HstsConfig(seconds, includeSubdomains, preload, ("max-age=" + seconds
                + (includeSubdomains ? "; includeSubDomains" : "") + (preload ? "; preload" : "")));
    }

}
