package io.sluice.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Registered for every test class (service loader + autodetection): checks that the suite runs with
 * paranoid leak detection, and after each class forces garbage collection so that Netty reports any
 * buffer that was dropped without release; a report fails the class.
 */
public final class LeakCheckExtension implements BeforeAllCallback, AfterAllCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel(),
                "tests must run with -Dio.netty.leakDetection.level=paranoid");
        LeakReports.drain();
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        List<String> reports = collectReports();
        if (!reports.isEmpty()) {
            fail(reports.size() + " ByteBuf leak report(s) in " + context.getDisplayName() + ":\n"
                    + String.join("\n\n", reports));
        }
    }

    /** Forces collection of unreachable buffers and returns (and clears) the leak reports since the last call. */
    static List<String> collectReports() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(100);
            // leak reports are emitted when a tracked allocation polls the detector's reference queue
            for (ByteBufAllocator alloc : List.of(ByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT,
                    UnpooledByteBufAllocator.DEFAULT)) {
                for (int i = 0; i < 16; i++) {
                    ByteBuf buf = alloc.directBuffer(64);
                    buf.release();
                    buf = alloc.heapBuffer(64);
                    buf.release();
                }
            }
        }
        return LeakReports.drain();
    }
}
