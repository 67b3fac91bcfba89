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
        return """
                sluice {
                  workers = 2
                  upstreams { app { %s } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", proxy { upstream = app, %s } }
                  ] } ]
                }""".formatted(upstream, proxy);
    }

    static String servers(String... addresses) {
        StringBuilder text = new StringBuilder("servers = [");
        for (String address : addresses) {
            text.append(" { address = \"").append(address).append("\" }");
        }
        return text.append(" ]").toString();
    }
}
