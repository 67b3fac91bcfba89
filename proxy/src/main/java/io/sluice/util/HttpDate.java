package io.sluice.util;

import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * Writes HTTP dates, the IMF-fixdate form of RFC 9110 §5.6.7 ({@code Sun, 06 Nov 1994 08:49:37 GMT}), from
 * java.time's calendar arithmetic. Netty's {@code DateFormatter} writes the same text through a
 * {@code GregorianCalendar}, whose first use loads the JDK's CLDR locale data to learn the week rules of the
 * default locale: some 50 classes and tens of milliseconds, which fell to the first response (its Date
 * header). The English day and month names are fixed by the RFC, so no locale is involved here.
 */
public final class HttpDate {
    private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    private static final String[] MONTHS = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
            "Nov", "Dec"};

    private HttpDate() {
    }

    /** The date of {@code epochSecond} (seconds since 1970-01-01T00:00:00Z), in GMT. */
    public static String format(long epochSecond) {
        LocalDateTime time = LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.UTC);
        StringBuilder text = new StringBuilder(29);
        text.append(DAYS[time.getDayOfWeek().ordinal()]).append(", ");
        twoDigits(text, time.getDayOfMonth()).append(' ').append(MONTHS[time.getMonthValue() - 1]).append(' ')
                .append(time.getYear()).append(' ');
        twoDigits(text, time.getHour()).append(':');
        twoDigits(text, time.getMinute()).append(':');
        return twoDigits(text, time.getSecond()).append(" GMT").toString();
    }

    private static StringBuilder twoDigits(StringBuilder text, int value) {
        return text.append((char) ('0' + value / 10)).append((char) ('0' + value % 10));
    }
}
