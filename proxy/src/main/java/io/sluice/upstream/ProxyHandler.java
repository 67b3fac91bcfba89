package io.sluice.upstream;

import io.sluice.config.ProxyConfig;
import io.sluice.http.Exchange;
import io.sluice.http.ExchangeHandler;
import io.sluice.http.ExchangeListener;

/** The {@code proxy} action of one location: each request becomes a {@link ProxyExchange}. */
public final class ProxyHandler implements ExchangeHandler {
    private final UpstreamGroup group;
    private final RequestHeadBuilder requestHeads;
    private final ResponseHeadRewriter responseHeads;

    public ProxyHandler(ProxyConfig config, UpstreamGroup group) {
        this.group = group;
        this.requestHeads = new RequestHeadBuilder(config);
        this.responseHeads = new ResponseHeadRewriter(config);
    }

    @Override
    public ExchangeListener start(Exchange exchange) {
        ProxyExchange proxied = new ProxyExchange(exchange, group.config(), group.forLoop(exchange.channel().eventLoop()),
                requestHeads, responseHeads);
        proxied.start();
        return proxied;
    }
}
