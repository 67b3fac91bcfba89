package io.sluice.tls;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** What {@link CloseNotifyHold} lets through to the TLS handler, read by read, from records made up here. */
class CloseNotifyHoldTest {
    private boolean readerWaits;
    private final CloseNotifyHold hold = new CloseNotifyHold(() -> readerWaits);
    private final EmbeddedChannel channel = new EmbeddedChannel(hold);

    @Test
    void aSealedAlertThatEndsTheReadWaitsUntilTheReaderWaits() {
        byte[] request = record(23, 60);
        byte[] alert = record(23, 19);
        channel.writeInbound(buffer(request, alert));
        assertArrayEquals(request, passed());
        readerWaits = true;
        hold.readerWaits();
        channel.runPendingTasks();
        assertArrayEquals(alert, passed());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aReaderThatWaitsAlreadyGetsTheRecordInTheSameRead() {
        readerWaits = true;
        byte[] alert = record(23, 35);
        channel.writeInbound(buffer(alert));
        assertArrayEquals(alert, passed());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void bytesBehindAHeldRecordSendItOnFirst() {
        byte[] small = record(23, 19);
        byte[] next = record(23, 100);
        channel.writeInbound(buffer(small));
        assertArrayEquals(new byte[0], passed());
        channel.writeInbound(buffer(next));
        assertArrayEquals(concat(small, next), passed());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void onlyTheLastRecordOfAReadIsHeld() {
        byte[] alert = record(23, 19);
        byte[] request = record(23, 60);
        channel.writeInbound(buffer(alert, request));
        assertArrayEquals(concat(alert, request), passed());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void theFramingStaysInStepAcrossReadsThatSplitAHeader() {
        byte[] first = record(23, 300);
        byte[] alert = record(23, 19);
        byte[] all = concat(first, alert);
        // the first record's header in two reads, then its body and the alert
        channel.writeInbound(Unpooled.wrappedBuffer(all, 0, 3));
        channel.writeInbound(Unpooled.wrappedBuffer(all, 3, 100));
        channel.writeInbound(Unpooled.wrappedBuffer(all, 103, all.length - 103));
        assertArrayEquals(first, passed());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void alertRecordsAreHeldOnlyAfterTheHandshakeAndHttp2HoldsOnlyUnpaddedOnes() {
        byte[] tls12Alert = record(21, 26);
        channel.writeInbound(buffer(tls12Alert));
        assertArrayEquals(tls12Alert, passed());
        hold.established(false, false);
        channel.writeInbound(buffer(tls12Alert));
        assertArrayEquals(new byte[0], passed());
        channel.writeInbound(buffer(record(23, 19)));
        // the held alert went on first; a TLS 1.2 record of application data is never held
        assertEquals(26 + 5 + 19 + 5, passed().length);

        CloseNotifyHold http2 = new CloseNotifyHold(() -> false);
        EmbeddedChannel connection = new EmbeddedChannel(http2);
        http2.established(true, true);
        byte[] padded = record(23, 35);
        connection.writeInbound(buffer(padded));
        assertArrayEquals(padded, passed(connection));
        connection.writeInbound(buffer(record(23, 19)));
        assertArrayEquals(new byte[0], passed(connection));
        assertFalse(channel.finishAndReleaseAll());
        assertFalse(connection.finishAndReleaseAll());
    }

    @Test
    void bytesThatAreNotTlsRecordsPassUntouched() {
        byte[] plain = "GET / HTTP/1.1\r\n\r\n".getBytes();
        channel.writeInbound(buffer(plain));
        byte[] alert = record(23, 19);
        channel.writeInbound(buffer(alert));
        assertArrayEquals(concat(plain, alert), passed());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aStoppedHoldSendsOnWhatItHeldAndHoldsNothingMore() {
        byte[] alert = record(23, 19);
        channel.writeInbound(buffer(alert));
        hold.stop();
        channel.writeInbound(buffer(alert));
        assertArrayEquals(concat(alert, alert), passed());
        assertFalse(channel.finishAndReleaseAll());
    }

    /** A record header of {@code type} and a body of {@code length} bytes that count up. */
    private static byte[] record(int type, int length) {
        byte[] record = new byte[5 + length];
        record[0] = (byte) type;
        record[1] = 3;
        record[2] = 3;
        record[3] = (byte) (length >>> 8);
        record[4] = (byte) length;
        for (int i = 0; i < length; i++) {
            record[5 + i] = (byte) i;
        }
        return record;
    }

    private static ByteBuf buffer(byte[]... parts) {
        return Unpooled.wrappedBuffer(concat(parts));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            joined.writeBytes(part);
        }
        return joined.toByteArray();
    }

    private byte[] passed() {
        return passed(channel);
    }

    /** Everything that has passed the hold so far, in order. */
    private static byte[] passed(EmbeddedChannel channel) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ByteBuf buf;
        while ((buf = channel.readInbound()) != null) {
            bytes.writeBytes(ByteBufUtil.getBytes(buf));
            buf.release();
        }
        return bytes.toByteArray();
    }
}
