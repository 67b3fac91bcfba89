package io.sluice.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;
import io.sluice.config.Http2Config;
import io.sluice.config.LimitsConfig;

import java.time.Duration;

/**
 * The HTTP/2 frame codec of a client connection, with every limit set explicitly so the work one
 * connection can cause is bounded: streams open at once ({@code max-concurrent-streams}; more are
 * refused), the decoded header list ({@code limits.max-header-size}, which also caps HPACK expansion and
 * CONTINUATION sequences), the flow-control window each stream may fill before we read it, resets per
 * window (rapid reset, CVE-2023-44487: past the limit the connection gets GOAWAY ENHANCE_YOUR_CALM), runs
 * of empty DATA frames, and control frames queued for a peer that does not read. A request whose HEADERS
 * frame lacks a mandatory pseudo-header field ({@code :method}, {@code :scheme}, {@code :path}; {@code
 * :authority} for CONNECT) is refused with RST_STREAM PROTOCOL_ERROR (RFC 9113 §8.3.1) before any stream
 * handler sees it, as are trailers that carry one.
 *
 * <p>Response bytes are shared among a connection's streams evenly, not by the client's stream priorities:
 * RFC 9113 §5.3 deprecates that scheme, and keeping its dependency tree (a priority queue per stream,
 * updated as streams open and close) was a measurable part of every request's cost.
 */
public final class Http2Connections {
    private Http2Connections() {
    }

    public static Http2FrameCodec frameCodec(Http2Config http2, LimitsConfig limits, Duration shutdownTimeout) {
        Http2Settings settings = Http2Settings.defaultSettings()
                .maxConcurrentStreams(http2.maxConcurrentStreams())
                .maxHeaderListSize(limits.maxHeaderSize())
                .initialWindowSize(http2.initialWindowSize())
                .maxFrameSize(http2.maxFrameSize());
        return new ServerCodecBuilder(evenlySharedConnection())
                .initialSettings(settings)
                .validateHeaders(true)
                .validateRequiredPseudoHeaders(true)
                .decoderEnforceMaxRstFramesPerWindow(http2.maxResetsPerWindow(), http2.resetWindowSeconds())
                .encoderEnforceMaxRstFramesPerWindow(http2.maxResetsPerWindow(), http2.resetWindowSeconds())
                .decoderEnforceMaxConsecutiveEmptyDataFrames(http2.maxConsecutiveEmptyFrames())
                .encoderEnforceMaxQueuedControlFrames(http2.maxQueuedControlFrames())
                .gracefulShutdownTimeoutMillis(shutdownTimeout.toMillis())
                .build();
    }

    private static Http2Connection evenlySharedConnection() {
        DefaultHttp2Connection connection = new DefaultHttp2Connection(true);
        connection.remote().flowController(
                new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
        return connection;
    }

    /** A server frame codec over a connection we built; the public builder cannot be given one. */
    private static final class ServerCodecBuilder extends Http2FrameCodecBuilder {
        ServerCodecBuilder(Http2Connection connection) {
            connection(connection);
        }
    }

    /**
     * Removes the {@code x-http2-*} headers the frame-to-HTTP/1 translation adds to a request, so they are
     * neither routed on nor forwarded upstream.
     */
    public static void stripTranslationHeaders(HttpHeaders headers) {
        headers.remove(HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text());
        headers.remove(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text());
        headers.remove(HttpConversionUtil.ExtensionHeaderNames.PATH.text());
        headers.remove(HttpConversionUtil.ExtensionHeaderNames.STREAM_DEPENDENCY_ID.text());
        headers.remove(HttpConversionUtil.ExtensionHeaderNames.STREAM_WEIGHT.text());
    }
}
