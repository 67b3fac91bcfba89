package io.sluice.accesslog;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import org.junit.jupiter.api.Test;

import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessLogFormatTest {
    /** 2026-11-26T10:15:30.250Z */
    private static final long TIME = 1795688130250L;
    /** Quotes, a backslash, a newline, a control byte and two bytes that are not UTF-8 (as Netty decodes them: ISO-8859-1). */
    private static final String HOSTILE = "ev\"il\\ \nagent\u0001 \u00ff\u00fe";

    private static AccessLogEntry entry(String userAgent, String uri) {
        return new AccessLogEntry(TIME, "192.0.2.7", 51234, "GET", uri, "HTTP/1.1", "example.com",
                new String[] {"https://ref.example/", userAgent}, 200, 1234, 0, 2_500_000, "example.com", "/",
                null, -1, -1);
    }

    @Test
    void combinedMatchesNginxAndEscapesHostileValues() {
        AccessLogFormat format = AccessLogFormat.compile("combined", ZoneOffset.UTC);
        StringBuilder out = new StringBuilder();
        format.format(entry(HOSTILE, "/a\"b"), out);
        assertEquals("192.0.2.7 - - [26/Nov/2026:10:15:30 +0000] \"GET /a\\x22b HTTP/1.1\" 200 1234"
                + " \"https://ref.example/\" \"ev\\x22il\\x5C \\x0Aagent\\x01 \\xFF\\xFE\"\n", out.toString());
        assertEquals(1, out.chars().filter(c -> c == '\n').count(), "one record, one line");
    }

    @Test
    void missingValuesAreDashes() {
        AccessLogFormat format = AccessLogFormat.compile("$remote_addr $http_referer $upstream_addr $upstream_status $upstream_response_time", ZoneOffset.UTC);
        StringBuilder out = new StringBuilder();
        format.format(new AccessLogEntry(TIME, "192.0.2.7", 1, "GET", "/", "HTTP/1.1", "h", new String[] {null}, 404,
                0, 0, 0, "s", "-", null, -1, -1), out);
        assertEquals("192.0.2.7 - - - -\n", out.toString());
    }

    @Test
    void customFormatWithVariablesAndHeaders() {
        AccessLogFormat format = AccessLogFormat.compile(
                "${request_method}:$request_uri $status $request_time $upstream_addr $upstream_status $upstream_response_time $http_x_request_id",
                ZoneOffset.UTC);
        assertEquals(java.util.List.of("x-request-id"), format.headerNames());
        StringBuilder out = new StringBuilder();
        format.format(new AccessLogEntry(TIME, "192.0.2.7", 1, "POST", "/api?x=1", "HTTP/1.1", "h",
                new String[] {"abc-123"}, 502, 0, 10, 1_500_000_000L, "s", "/api", "10.0.0.1:8080", 502, 1_250_000_000L), out);
        assertEquals("POST:/api?x=1 502 1.500 10.0.0.1:8080 502 1.250 abc-123\n", out.toString());
    }

    @Test
    void jsonIsOneValidAsciiObjectPerLineAndRoundTripsHostileValues() {
        AccessLogFormat format = AccessLogFormat.compile("json", ZoneOffset.UTC);
        StringBuilder out = new StringBuilder();
        format.format(entry(HOSTILE, "/caf\u00e9?q=\"x\""), out);
        String line = out.toString();
        assertTrue(line.endsWith("\n"));
        assertEquals(line.length() - 1, line.indexOf('\n'), "the newline inside a value must be escaped");
        assertTrue(line.chars().allMatch(c -> c >= 0x20 && c < 0x7f || c == '\n'), "pure printable ASCII: " + line);
        Config parsed = ConfigFactory.parseString(line, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
        assertEquals(HOSTILE, parsed.getString("user_agent"));
        assertEquals("/caf\u00e9?q=\"x\"", parsed.getString("uri"));
        assertEquals(200, parsed.getInt("status"));
        assertEquals(1234, parsed.getLong("body_bytes_sent"));
        assertEquals(0.0025, parsed.getDouble("request_time"), 1e-9);
        assertEquals("2026-11-26T10:15:30.25Z", parsed.getString("time"));
        assertFalse(parsed.hasPath("upstream_addr"), "no upstream fields for a request that had none");
    }

    @Test
    void jsonCarriesUpstreamFieldsWhenPresent() {
        AccessLogFormat format = AccessLogFormat.compile("json", ZoneOffset.UTC);
        StringBuilder out = new StringBuilder();
        format.format(new AccessLogEntry(TIME, "192.0.2.7", 1, "GET", "/", "HTTP/1.1", "h", new String[] {null, null},
                200, 5, 0, 1_000_000, "s", "/", "10.0.0.1:8080", 200, 800_000), out);
        Config parsed = ConfigFactory.parseString(out.toString(), ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
        assertEquals("10.0.0.1:8080", parsed.getString("upstream_addr"));
        assertEquals(200, parsed.getInt("upstream_status"));
        assertEquals(0.0008, parsed.getDouble("upstream_response_time"), 1e-9);
        assertTrue(parsed.getIsNull("referer"));
    }
}
