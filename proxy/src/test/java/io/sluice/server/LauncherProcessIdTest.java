package io.sluice.server;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The process id Sluice hands Netty is the one the JDK reports. */
class LauncherProcessIdTest {
    @Test
    void procfsNamesThisProcess() {
        assumeTrue(Files.isSymbolicLink(Path.of("/proc/self")), "a Linux procfs");
        assertEquals(Long.toString(ProcessHandle.current().pid()), Launcher.procfsProcessId());
    }
}
