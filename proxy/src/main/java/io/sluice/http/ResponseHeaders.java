package io.sluice.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;
import io.sluice.util.HttpDate;

/** Headers every response carries. The Date value is formatted at most once per second per thread. */
public final class ResponseHeaders {
    public static final AsciiString SERVER = AsciiString.cached("sluice");

    private static final FastThreadLocal<CachedDate> DATE = new FastThreadLocal<>() {
        @Override
        protected CachedDate initialValue() {
            return new CachedDate();
        }
    };

    private ResponseHeaders() {
    }

    public static void addStandard(HttpHeaders headers) {
        headers.set(HttpHeaderNames.SERVER, SERVER);
        headers.set(HttpHeaderNames.DATE, now());
    }

    /** The current time as an IMF-fixdate (RFC 9110 §5.6.7). */
    public static AsciiString now() {
        return DATE.get().current();
    }

    private static final class CachedDate {
        private long second = -1;
        private AsciiString value;

        AsciiString current() {
            long millis = System.currentTimeMillis();
            long now = millis / 1000;
            if (now != second) {
                second = now;
                value = new AsciiString(HttpDate.format(now));
            }
            return value;
        }
    }
}
