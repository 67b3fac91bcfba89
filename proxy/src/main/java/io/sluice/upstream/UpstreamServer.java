package io.sluice.upstream;

import io.netty.handler.ssl.SslContext;
import io.netty.util.NetUtil;
import io.sluice.config.UpstreamConfig;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * One server of a group, ready to connect to: an IP literal (as configured, or an address a host name
 * resolved to) becomes a resolved address once; a host name not resolved yet stays unresolved so that the
 * bootstrap's asynchronous DNS resolver looks it up per connect. The Host header and the TLS name stay the
 * configured host. {@code ssl} is null for plain HTTP; {@code tlsHost} is the SNI and verified name.
 */
record UpstreamServer(String display, String hostHeader, InetSocketAddress remoteAddress, SslContext ssl,
                      String tlsHost) {

    static UpstreamServer of(UpstreamConfig.Server server, SslContext ssl, String sni) {
        String host = server.address().host();
        int port = server.address().port();
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(server.connectHost());
        InetSocketAddress remote;
        if (literal != null) {
            try {
                remote = new InetSocketAddress(InetAddress.getByAddress(literal), port);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(e);
            }
        } else {
            remote = InetSocketAddress.createUnresolved(host, port);
        }
        boolean defaultPort = port == (server.tls() ? 443 : 80);
        String authority = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        String hostHeader = defaultPort ? authority : authority + ":" + port;
        return new UpstreamServer(server.name(), hostHeader, remote, ssl, sni != null ? sni : host);
    }
}
