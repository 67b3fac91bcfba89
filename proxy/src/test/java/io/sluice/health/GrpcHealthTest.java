package io.sluice.health;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The gRPC health messages, byte by byte as protobuf lays them out. */
class GrpcHealthTest {
    private static int status(String hex) {
        byte[] bytes = HexFormat.of().parseHex(hex);
        return GrpcHealth.servingStatus(bytes, bytes.length);
    }

    @Test
    void requestsNameTheServiceOrNothingForTheWholeServer() {
        assertEquals("0000000000", HexFormat.of().formatHex(GrpcHealth.request("")));
        assertEquals("00000000030a0161", HexFormat.of().formatHex(GrpcHealth.request("a")));
        // a length over 127 takes two varint bytes: 200 = 0xc8 0x01
        assertEquals("00000000cb0ac801", HexFormat.of().formatHex(GrpcHealth.request("s".repeat(200))).substring(0, 16));
    }

    @Test
    void answersAreReadWhateverElseTheyCarry() {
        assertEquals(1, status("00000000020801"));
        assertEquals(2, status("00000000020802"));
        assertEquals(0, status("0000000000"), "an empty message is status UNKNOWN, the protobuf default");
        assertEquals(1, status("000000000a" + "1203616263" + "0801" + "980101"),
                "unknown fields (a string, a field number over 15) are skipped");
    }

    @Test
    void anythingElseIsNotAnAnswer() {
        assertEquals(-1, status("01000000020801"), "compressed");
        assertEquals(-1, status("00000000050801"), "length beyond the bytes");
        assertEquals(-1, status("000000000208"), "length short of the bytes");
        assertEquals(-1, status("0000000002127f"), "a field running past the end");
        assertEquals(-1, status("00000000020f01"), "wire type 7");
        assertEquals(-1, status("0000"), "too short for a message");
    }
}
