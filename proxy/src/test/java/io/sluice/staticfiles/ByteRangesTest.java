package io.sluice.staticfiles;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ByteRangesTest {

    @Test
    void parsesEveryFormAgainstTheSize() {
        assertEquals(List.of(new ByteRanges.Range(0, 9)), ByteRanges.parse("bytes=0-9", 100));
        assertEquals(List.of(new ByteRanges.Range(90, 99)), ByteRanges.parse("bytes=-10", 100));
        assertEquals(List.of(new ByteRanges.Range(0, 99)), ByteRanges.parse("bytes=-1000", 100));
        assertEquals(List.of(new ByteRanges.Range(50, 99)), ByteRanges.parse("bytes=50-", 100));
        assertEquals(List.of(new ByteRanges.Range(50, 99)), ByteRanges.parse("bytes=50-5000", 100));
        assertEquals(List.of(new ByteRanges.Range(1, 2), new ByteRanges.Range(5, 5)),
                ByteRanges.parse("bytes= 1-2 ,5-5", 100));
        assertEquals(List.of(new ByteRanges.Range(1, 2)), ByteRanges.parse("bytes=1-2,,", 100));
    }

    @Test
    void unsatisfiableIsEmptyAndInvalidIsIgnored() {
        assertEquals(List.of(), ByteRanges.parse("bytes=100-", 100));
        assertEquals(List.of(), ByteRanges.parse("bytes=-0", 100));
        assertEquals(List.of(), ByteRanges.parse("bytes=0-", 0));
        assertEquals(List.of(), ByteRanges.parse("bytes=-5", 0));
        assertNull(ByteRanges.parse("bytes=9-1", 100));
        assertNull(ByteRanges.parse("bytes=a-b", 100));
        assertNull(ByteRanges.parse("bytes=1", 100));
        assertNull(ByteRanges.parse("bytes=+1-2", 100));
        assertNull(ByteRanges.parse("bytes=", 100));
        assertNull(ByteRanges.parse("lines=1-2", 100));
        assertNull(ByteRanges.parse("bytes=99999999999999999999-", 100));
        assertNull(ByteRanges.parse("bytes=" + "1-1,".repeat(ByteRanges.MAX_RANGES) + "2-2", 100));
    }

    @Test
    void rangesAskingForMoreThanTheWholeAreIgnored() {
        assertNull(ByteRanges.parse("bytes=0-,0-", 100));
        assertNull(ByteRanges.parse("bytes=0-59,40-99", 100));
        assertNull(ByteRanges.parse("bytes=0-0,-1", 1));
        assertNull(ByteRanges.parse("bytes=-100,50-5000", 100));
        assertEquals(List.of(new ByteRanges.Range(0, 0), new ByteRanges.Range(99, 99)), ByteRanges.parse("bytes=0-0,-1", 100));
        assertEquals(List.of(new ByteRanges.Range(0, 49), new ByteRanges.Range(50, 99)),
                ByteRanges.parse("bytes=0-49,50-", 100));
        assertEquals(List.of(new ByteRanges.Range(50, 99)), ByteRanges.parse("bytes=50-,200-", 100),
                "a range past the end adds nothing");
    }
}
