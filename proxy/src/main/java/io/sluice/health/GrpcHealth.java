package io.sluice.health;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The two messages of the gRPC health protocol ({@code grpc.health.v1}), written and read by hand: the
 * request is one optional string field and the answer one enum field, so a protobuf library would be all
 * weight and no use. Each travels as a gRPC message: a flag byte (0: not compressed), a four-byte length,
 * the protobuf bytes.
 */
final class GrpcHealth {
    static final String PATH = "/grpc.health.v1.Health/Check";
    /** {@code HealthCheckResponse.ServingStatus.SERVING}. */
    static final int SERVING = 1;
    /** A health answer is a few bytes; anything longer is not one. */
    static final int MAX_MESSAGE = 1024;

    private GrpcHealth() {
    }

    /** {@code HealthCheckRequest { string service = 1; }} as a gRPC message. */
    static byte[] request(String service) {
        byte[] name = service.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream protobuf = new ByteArrayOutputStream();
        if (name.length > 0) {
            protobuf.write(0x0a);
            writeVarint(protobuf, name.length);
            protobuf.writeBytes(name);
        }
        byte[] body = protobuf.toByteArray();
        ByteArrayOutputStream message = new ByteArrayOutputStream(5 + body.length);
        message.write(0);
        message.write(body.length >>> 24);
        message.write(body.length >>> 16);
        message.write(body.length >>> 8);
        message.write(body.length);
        message.writeBytes(body);
        return message.toByteArray();
    }

    /**
     * The {@code status} of a {@code HealthCheckResponse} gRPC message; 0 (UNKNOWN) when the field is absent,
     * as protobuf leaves out a default; -1 when the bytes are not such a message.
     */
    static int servingStatus(byte[] message, int length) {
        if (length < 5 || message[0] != 0) {
            return -1;
        }
        int size = ((message[1] & 0xff) << 24) | ((message[2] & 0xff) << 16) | ((message[3] & 0xff) << 8) | (message[4] & 0xff);
        if (size != length - 5) {
            return -1;
        }
        int status = 0;
        int i = 5;
        while (i < length) {
            long[] tag = readVarint(message, i, length);
            if (tag == null) {
                return -1;
            }
            i = (int) tag[1];
            long next;
            switch ((int) (tag[0] & 7)) {
                case 0 -> {
                    long[] value = readVarint(message, i, length);
                    if (value == null) {
                        return -1;
                    }
                    if (tag[0] >>> 3 == 1) {
                        status = (int) value[0];
                    }
                    next = value[1];
                }
                case 1 -> next = i + 8L;
                case 2 -> {
                    long[] fieldLength = readVarint(message, i, length);
                    next = fieldLength == null || fieldLength[0] < 0 ? Long.MAX_VALUE : fieldLength[1] + fieldLength[0];
                }
                case 5 -> next = i + 4L;
                default -> next = Long.MAX_VALUE;
            }
            if (next > length) {
                return -1;
            }
            i = (int) next;
        }
        return status;
    }

    /** The varint at {@code from}: {value, index after it}, or null when it runs past {@code end}. */
    private static long[] readVarint(byte[] bytes, int from, int end) {
        long value = 0;
        for (int shift = 0, i = from; i < end && shift < 64; shift += 7, i++) {
            value |= (long) (bytes[i] & 0x7f) << shift;
            if ((bytes[i] & 0x80) == 0) {
                return new long[] {value, i + 1};
            }
        }
        return null;
    }

    private static void writeVarint(ByteArrayOutputStream out, int value) {
        int rest = value;
        while ((rest & ~0x7f) != 0) {
            out.write((rest & 0x7f) | 0x80);
            rest >>>= 7;
        }
        out.write(rest);
    }
}
