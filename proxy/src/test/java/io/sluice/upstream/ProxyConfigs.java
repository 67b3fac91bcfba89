package io.sluice.upstream;

/** Configuration text for proxy tests: one server block on a free port proxying everything to "app". */
final class ProxyConfigs {
    private ProxyConfigs() {
    }

    /**
     * @param upstream the body of {@code upstreams.app { }}
     * @param proxy    extra keys of the location's {@code proxy { }}
     */
    static String proxyTo(String upstream, String proxy) {
        return proxyTo(upstream, proxy, "");
    }

    /** As {@link #proxyTo(String, String)} with {@code top} added to the {@code sluice { }} block. */
    static String proxyTo(String upstream, String proxy, String top) {
        return """
                sluice {
                  workers = 2
                  %s
                  upstreams { app { %s } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", proxy { upstream = app, %s } }
                  ] } ]
                }""".formatted(top, upstream, proxy);
    }

    static String servers(String... addresses) {
        StringBuilder text = new StringBuilder("servers = [");
        for (String address : addresses) {
            text.append(" { address = \"").append(address).append("\" }");
        }
        return text.append(" ]").toString();
    }
}
