package io.sluice.upstream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The {@code :status} values an HTTP/2 upstream response may carry before Netty converts it. */
class Http2ResponseStreamCodecTest {
    @ParameterizedTest
    @CsvSource({
            "200, true", "100, true", "103, true", "204, true", "599, true",
            "101, false", "099, false", "600, false", "2x0, false", "20, false", "2000, false", "' 200', false",
            "'', false", "+20, false",
    })
    void statusIsThreeDigitsInRangeAndNotSwitchingProtocols(String status, boolean valid) {
        assertEquals(valid, Http2ResponseStreamCodec.isValidStatus(status), status);
    }
}
