package io.sluice.config;

import java.nio.charset.StandardCharsets;

/** The {@code return} action: a fixed response, e.g. {@code { status = 200, body = "ok" }} or a redirect. */
public record ReturnConfig(int status, byte[] body, String contentType, String location) implements LocationAction {

    static ReturnConfig read(ConfigNode node) {
        int status = node.integer("status", 200);
        if (status < 200 || status > 599) {
            node.error("status", "must be between 200 and 599");
            status = 500;
        }
        String body = node.string("body", "");
        String contentType = node.string("content-type", "text/plain; charset=utf-8");
        String location = node.optionalString("location").orElse(null);
        boolean redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
        if (redirect && location == null) {
            node.error("location", "required for a redirect status " + status);
        }
        if (!redirect && location != null) {
            node.error("location", "only allowed with a redirect status (301, 302, 303, 307, 308)");
        }
        node.finish();
        return new ReturnConfig(status, body.getBytes(StandardCharsets.UTF_8), contentType, location);
    }
}
