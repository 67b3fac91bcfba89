package io.sluice.http;

/**
 * The chunk-size line of a chunked body (RFC 9112 §7.1): {@code chunk-size *( BWS ";" BWS name [ BWS "="
 * BWS ( token / quoted-string ) ] )}. Extensions are checked and ignored; anything outside the grammar,
 * and a size that does not fit a long, is refused, because parsers that disagree on where a chunk ends
 * disagree on where the next request starts (or, on an upstream connection, the next response).
 */
public final class ChunkLine {
    private ChunkLine() {
    }

    /** The size on the line {@code bytes[0, end)} (without its CRLF). */
    public static long size(byte[] bytes, int end) {
        long size = 0;
        int i = 0;
        while (i < end) {
            int digit = hex(bytes[i]);
            if (digit < 0) {
                break;
            }
            if (size > Long.MAX_VALUE >> 4) {
                throw new Http1MessageDecoder.Malformed("chunk size does not fit 63 bits");
            }
            size = size << 4 | digit;
            i++;
        }
        if (i == 0) {
            throw new Http1MessageDecoder.Malformed("chunk size is not hexadecimal");
        }
        while (i < end) {
            i = extension(bytes, i, end);
        }
        return size;
    }

    private static int hex(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        int lower = b | 0x20;
        return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
    }

    /** Reads one extension starting at {@code i}; returns the index after it. */
    private static int extension(byte[] bytes, int i, int end) {
        i = whitespace(bytes, i, end);
        if (i == end || bytes[i] != ';') {
            throw new Http1MessageDecoder.Malformed("invalid chunk extension");
        }
        i = token(bytes, whitespace(bytes, i + 1, end), end);
        int afterName = whitespace(bytes, i, end);
        if (afterName == end || bytes[afterName] != '=') {
            return i;
        }
        i = whitespace(bytes, afterName + 1, end);
        return i < end && bytes[i] == '"' ? quoted(bytes, i + 1, end) : token(bytes, i, end);
    }

    private static int whitespace(byte[] bytes, int i, int end) {
        while (i < end && (bytes[i] == ' ' || bytes[i] == '\t')) {
            i++;
        }
        return i;
    }

    private static int token(byte[] bytes, int i, int end) {
        int start = i;
        while (i < end && HttpTokens.isTokenChar(bytes[i])) {
            i++;
        }
        if (i == start) {
            throw new Http1MessageDecoder.Malformed("invalid chunk extension");
        }
        return i;
    }

    /** A quoted-string's content from after its opening quote; returns the index after its closing quote. */
    private static int quoted(byte[] bytes, int i, int end) {
        while (i < end) {
            byte b = bytes[i];
            if (b == '"') {
                return i + 1;
            }
            if (b == '\\') {
                i++;
                if (i == end || !isQuotable(bytes[i])) {
                    break;
                }
            } else if (!isQuotable(b)) {
                break;
            }
            i++;
        }
        throw new Http1MessageDecoder.Malformed("invalid quoted chunk extension");
    }

    /** HTAB, SP, visible ASCII and obs-text. */
    private static boolean isQuotable(byte b) {
        return b == '\t' || b >= ' ' && b != 0x7f || b < 0;
    }
}
