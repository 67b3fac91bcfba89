package io.sluice.upstream;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a message's {@code Connection} fields list, read the short way or through the list parser. */
class HopByHopTest {

    private static HttpHeaders connection(String... values) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (String value : values) {
            headers.add("Connection", value);
        }
        return headers;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "close | close", "Close | close", "CLOSE | close", "'close, X-A' | close,x-a",
            "'x-a,close' | x-a,close", "keep-alive | ''", "'keep-alive, Upgrade' | ''", "closed | closed",
    })
    void oneFieldListsItsNamesInLowerCase(String value, String listed) {
        assertEquals(listed.isEmpty() ? List.of() : Arrays.asList(listed.split(",")),
                HopByHop.connectionOptions(connection(value)));
    }

    /**
     * A lone {@code close} is read without the list parser; a field read after it still adds to the list. The
     * fields are read in Netty's order, so both orders are tried.
     */
    @Test
    void closeAndAnotherField() {
        assertEquals(List.of("close", "x-a"), sorted(HopByHop.connectionOptions(connection("close", "X-A"))));
        assertEquals(List.of("close", "x-a"), sorted(HopByHop.connectionOptions(connection("X-A", "close"))));
        assertEquals(List.of("close", "close"), HopByHop.connectionOptions(connection("close", "Close")));
    }

    private static List<String> sorted(List<String> names) {
        return names.stream().sorted().toList();
    }

    @Test
    void closeIsSeenWhicheverWayItIsRead() {
        for (String value : List.of("close", "CLOSE", "x-a, close", "close,keep-alive")) {
            HopByHop.ConnectionField field = new HopByHop.ConnectionField();
            field.parse(value);
            assertEquals(true, field.close, value);
        }
        HopByHop.ConnectionField field = new HopByHop.ConnectionField();
        field.parse("keep-alive");
        assertEquals(false, field.close);
        assertEquals(true, field.keepAlive);
    }
}
