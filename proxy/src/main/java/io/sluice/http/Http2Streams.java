package io.sluice.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.VoidChannelPromise;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2FrameStreamEvent;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.sluice.config.LimitsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;

/**
 * The streams of an HTTP/2 client connection, right behind its frame codec: each stream a client opens is an
 * {@link Http2ClientStream}, a plain object that serves the stream's one request through the same dispatcher
 * as an HTTP/1.1 connection and writes its response frames on this connection's context. No channel, pipeline
 * or handler is built per stream (Netty's stream multiplexer gives each stream all three, and that, with the
 * promises its writes chain through the parent, was most of what an HTTP/2 request cost beyond HTTP/1.1).
 *
 * <p>The frame codec keeps every protocol rule and limit (see {@link Http2Connections}); this handler only
 * routes stream frames and stream events (closed, writability) to their stream. Connection frames (SETTINGS,
 * PING, GOAWAY) go on down the pipeline.
 */
public final class Http2Streams extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Http2Streams.class);

    /** Makes the receiver of a new stream's request: its dispatcher. */
    @FunctionalInterface
    public interface Receivers {
        ClientLink.Receiver open(ClientLink stream, ConnectionTimeouts timeouts);
    }

    private final IntObjectMap<Http2ClientStream> streams = new IntObjectHashMap<>();
    private final Http2Connection connection;
    private final Http2ConnectionGuard guard;
    private final LimitsConfig limits;
    private final LoopClock clock;
    private final Receivers receivers;
    private ChannelHandlerContext ctx;
    /**
     * The promise of the writes nobody waits for. Unlike the channel's void promise it does not report a failed
     * write to the pipeline, where the codec would take it for a connection error: a stream write fails when
     * the stream has been reset, and the stream hears of that from the codec.
     */
    private ChannelPromise unheard;
    private InetSocketAddress client;

    /** {@code connection}: the frame codec's; {@code clock}: the clock of the connection's loop. */
    public Http2Streams(Http2Connection connection, Http2ConnectionGuard guard, LimitsConfig limits, LoopClock clock,
                        Receivers receivers) {
        this.connection = connection;
        this.guard = guard;
        this.limits = limits;
        this.clock = clock;
        this.receivers = receivers;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.unheard = new VoidChannelPromise(ctx.channel(), false);
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    ChannelPromise unheard() {
        return unheard;
    }

    Http2Connection connection() {
        return connection;
    }

    /** The client of every stream: the socket peer, or the address a PROXY protocol header named. */
    InetSocketAddress client() {
        if (client == null) {
            InetSocketAddress proxied = ProxyProtocolHandler.proxiedClient(ctx.channel());
            client = proxied != null ? proxied : ClientStreams.peer(ctx.channel());
        }
        return client;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Http2StreamFrame frame) || frame.stream() == null) {
            ctx.fireChannelRead(msg);
            return;
        }
        Http2ClientStream stream = streams.get(frame.stream().id());
        if (stream != null && (frame instanceof Http2DataFrame || frame instanceof Http2HeadersFrame)) {
            stream.frameRead(frame);
        } else if (stream == null && frame instanceof Http2HeadersFrame headers) {
            open(headers);
        } else {
            // window updates, priorities, resets (the codec closes the stream next), unknown frames
            ReferenceCountUtil.release(msg);
        }
    }

    private void open(Http2HeadersFrame headers) {
        Http2FrameStream frameStream = headers.stream();
        Http2Stream stream = connection.stream(frameStream.id());
        HttpObject head;
        try {
            head = Http2StreamCodec.message(headers);
        } catch (Http2Exception e) {
            log.debug("{}: malformed request on stream {}", client(), frameStream.id(), e);
            Http2ClientStream.reset(ctx, frameStream, Http2Error.PROTOCOL_ERROR, unheard);
            return;
        }
        if (stream == null) {
            // the codec closed the stream while reading its HEADERS (a reset of our own): nothing to serve
            ReferenceCountUtil.release(head);
            return;
        }
        Http2ClientStream opened = new Http2ClientStream(this, frameStream, stream, limits, clock, receivers);
        streams.put(frameStream.id(), opened);
        guard.streamOpened();
        opened.start(head);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!(evt instanceof Http2FrameStreamEvent event)) {
            ctx.fireUserEventTriggered(evt);
            return;
        }
        Http2ClientStream stream = streams.get(event.stream().id());
        if (stream == null) {
            return;
        }
        if (event.type() == Http2FrameStreamEvent.Type.Writability) {
            stream.writabilityChanged();
        } else if (event.stream().state() == Http2Stream.State.CLOSED) {
            streamEnded(event.stream().id(), stream);
        }
    }

    private void streamEnded(int id, Http2ClientStream stream) {
        streams.remove(id);
        stream.ended();
        guard.streamClosed();
    }

    /**
     * A stream error the codec found in a client's frames (a request without its mandatory pseudo-header
     * fields, a window overrun): the codec leaves the reset to the stream's owner, and the stream is reset with
     * that error's code, as RFC 9113 §5.4.2 and §8.1.1 ask. It ends with the reset.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Http2FrameStreamException streamError) {
            log.debug("{}: stream {} error", client(), streamError.stream().id(), cause);
            Http2ClientStream.reset(ctx, streamError.stream(), streamError.error(), unheard);
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // the codec closes its streams when the connection goes: anything still here ends now
        for (IntObjectMap.PrimitiveEntry<Http2ClientStream> entry : streams.entries()) {
            entry.value().ended();
        }
        streams.clear();
        ctx.fireChannelInactive();
    }
}
