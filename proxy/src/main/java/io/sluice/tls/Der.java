package io.sluice.tls;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The few pieces of ASN.1 DER that OCSP needs: reading a value's tag and contents (keeping its exact
 * encoding, which signatures are computed over) and writing the handful of types an OCSP request uses.
 * The JDK has no public OCSP API and BouncyCastle is not a dependency.
 */
final class Der {
    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OID = 0x06;
    static final int ENUMERATED = 0x0a;
    static final int GENERALIZED_TIME = 0x18;
    static final int SEQUENCE = 0x30;

    private Der() {
    }

    /** One decoded value: its tag, its contents and its whole encoding (tag, length and contents). */
    record Value(int tag, byte[] source, int start, int contentStart, int end) {

        static Value parse(byte[] der) {
            Value value = at(der, 0, der.length);
            if (value.end != der.length) {
                throw new IllegalArgumentException("trailing bytes after the DER value");
            }
            return value;
        }

        private static Value at(byte[] der, int offset, int limit) {
            if (offset + 2 > limit) {
                throw new IllegalArgumentException("truncated DER value");
            }
            int tag = der[offset] & 0xff;
            if ((tag & 0x1f) == 0x1f) {
                throw new IllegalArgumentException("multi-byte DER tags are not used by OCSP");
            }
            int first = der[offset + 1] & 0xff;
            int contentStart = offset + 2;
            long length = first;
            if (first >= 0x80) {
                int count = first & 0x7f;
                if (count == 0 || count > 4 || contentStart + count > limit) {
                    throw new IllegalArgumentException("bad DER length");
                }
                length = 0;
                for (int i = 0; i < count; i++) {
                    length = (length << 8) | (der[contentStart + i] & 0xff);
                }
                contentStart += count;
            }
            if (contentStart + length > limit) {
                throw new IllegalArgumentException("truncated DER value");
            }
            return new Value(tag, der, offset, contentStart, (int) (contentStart + length));
        }

        byte[] contents() {
            return Arrays.copyOfRange(source, contentStart, end);
        }

        byte[] encoded() {
            return Arrays.copyOfRange(source, start, end);
        }

        /** The values a constructed value (SEQUENCE, explicit tag) contains, in order. */
        List<Value> children() {
            if ((tag & 0x20) == 0) {
                throw new IllegalArgumentException("DER tag 0x" + Integer.toHexString(tag) + " is not constructed");
            }
            List<Value> children = new ArrayList<>();
            int offset = contentStart;
            while (offset < end) {
                Value child = at(source, offset, end);
                children.add(child);
                offset = child.end;
            }
            return children;
        }

        /** The only value inside an explicitly tagged one. */
        Value explicit() {
            List<Value> children = children();
            if (children.size() != 1) {
                throw new IllegalArgumentException("an explicit tag holds " + children.size() + " values");
            }
            return children.get(0);
        }

        Value expect(int expected) {
            if (tag != expected) {
                throw new IllegalArgumentException("expected DER tag 0x" + Integer.toHexString(expected) + ", found 0x"
                        + Integer.toHexString(tag));
            }
            return this;
        }

        boolean isContextTag(int number) {
            return (tag & 0xc0) == 0x80 && (tag & 0x1f) == number;
        }

        String oid() {
            expect(OID);
            StringBuilder text = new StringBuilder();
            long arc = 0;
            boolean firstArc = true;
            for (int i = contentStart; i < end; i++) {
                arc = (arc << 7) | (source[i] & 0x7f);
                if ((source[i] & 0x80) == 0) {
                    if (firstArc) {
                        long top = Math.min(arc / 40, 2);
                        text.append(top).append('.').append(arc - top * 40);
                        firstArc = false;
                    } else {
                        text.append('.').append(arc);
                    }
                    arc = 0;
                }
            }
            return text.toString();
        }

        BigInteger integer() {
            return new BigInteger(expect(INTEGER).contents());
        }

        /** A BIT STRING's bits, which must be whole bytes (keys and signatures always are). */
        byte[] bits() {
            expect(BIT_STRING);
            if (end == contentStart || source[contentStart] != 0) {
                throw new IllegalArgumentException("a BIT STRING that is not whole bytes");
            }
            return Arrays.copyOfRange(source, contentStart + 1, end);
        }

        Instant generalizedTime() {
            expect(GENERALIZED_TIME);
            String text = new String(contents(), java.nio.charset.StandardCharsets.US_ASCII);
            // YYYYMMDDHHMMSS[.fff]Z, always UTC in DER
            if (text.length() < 15 || !text.endsWith("Z")) {
                throw new IllegalArgumentException("bad GeneralizedTime " + text);
            }
            try {
                LocalDateTime time = LocalDateTime.of(Integer.parseInt(text.substring(0, 4)),
                        Integer.parseInt(text.substring(4, 6)), Integer.parseInt(text.substring(6, 8)),
                        Integer.parseInt(text.substring(8, 10)), Integer.parseInt(text.substring(10, 12)),
                        Integer.parseInt(text.substring(12, 14)));
                return time.toInstant(ZoneOffset.UTC);
            } catch (NumberFormatException | java.time.DateTimeException e) {
                throw new IllegalArgumentException("bad GeneralizedTime " + text, e);
            }
        }
    }

    static byte[] sequence(byte[]... elements) {
        return tagged(SEQUENCE, elements);
    }

    static byte[] tagged(int tag, byte[]... elements) {
        ByteArrayOutputStream contents = new ByteArrayOutputStream();
        for (byte[] element : elements) {
            contents.writeBytes(element);
        }
        byte[] body = contents.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 6);
        out.write(tag);
        int length = body.length;
        if (length < 0x80) {
            out.write(length);
        } else {
            int count = (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | count);
            for (int i = count - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(body);
        return out.toByteArray();
    }

    static byte[] octetString(byte[] bytes) {
        return tagged(OCTET_STRING, bytes);
    }

    static byte[] integer(BigInteger value) {
        return tagged(INTEGER, value.toByteArray());
    }

    static byte[] nullValue() {
        return new byte[] {NULL, 0};
    }

    static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeArc(body, Long.parseLong(arcs[0]) * 40 + Long.parseLong(arcs[1]));
        for (int i = 2; i < arcs.length; i++) {
            writeArc(body, Long.parseLong(arcs[i]));
        }
        return tagged(OID, body.toByteArray());
    }

    private static void writeArc(ByteArrayOutputStream out, long arc) {
        int groups = Math.max(1, (64 - Long.numberOfLeadingZeros(arc) + 6) / 7);
        for (int i = groups - 1; i >= 0; i--) {
            int septet = (int) ((arc >>> (7 * i)) & 0x7f);
            out.write(i == 0 ? septet : septet | 0x80);
        }
    }
}
