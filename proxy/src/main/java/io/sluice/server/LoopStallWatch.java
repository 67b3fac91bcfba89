package io.sluice.server;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Finds event loops that stop running their tasks, and names the code that holds them.
 *
 * <p>Nothing on a loop may block, but a bug, a slow disk reached by mistake or a library that resolves a
 * name on the calling thread would stall every connection of that loop, and from outside that looks like a
 * slow network. Each loop runs a small beat every {@link #BEAT_NANOS}; a watcher thread of its own (it must
 * not share the loops' fate) checks the beats, and when a loop has missed them for longer than the warning
 * time it reports the loop's thread and the stack it is stuck in, once per stall, then once more when the
 * loop runs again with how long the stall lasted. A pause of the whole process (garbage collection, no CPU
 * for any thread) is reported as that, not blamed on a loop. How late each beat ran is kept as the loop's lag: the
 * largest of the last ten seconds is what {@code /metrics} shows, so short hiccups below the warning are
 * visible too.
 */
final class LoopStallWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LoopStallWatch.class);
    static final long BEAT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long LAG_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int STACK_FRAMES = 30;
    private static final Path OWN_STAT = Path.of("/proc/self/stat");
    /** procfs counts CPU time in clock ticks, 100 a second on Linux ({@code USER_HZ}). */
    private static final long NANOS_PER_TICK = TimeUnit.MILLISECONDS.toNanos(10);

    /**
     * A stall as reported: the loop's thread, how long it had not run its tasks, the CPU time it used in the
     * last {@code cpuOverNanos} of that (-1 when procfs cannot tell), its state and where it was.
     */
    record Stall(String thread, long nanos, long cpuNanos, long cpuOverNanos, Thread.State state,
                 StackTraceElement[] stack) {
        /** Whether the loop was only waiting for I/O: then it was not running code, it was not given a CPU. */
        boolean waitingForIo() {
            if (stack.length == 0) {
                return false;
            }
            String method = stack[0].getMethodName();
            return stack[0].isNativeMethod() && (method.startsWith("epollWait") || method.startsWith("ioUringEnter")
                    || method.equals("wait") && stack[0].getClassName().equals("sun.nio.ch.EPoll"));
        }

        /** What the thread was doing, in words: busy on the CPU, waiting in the kernel or on a lock, or neither. */
        String doing() {
            if (cpuNanos < 0) {
                return "thread state " + state;
            }
            String cpu = TimeUnit.NANOSECONDS.toMillis(cpuNanos) + " ms of CPU in its last "
                    + TimeUnit.NANOSECONDS.toMillis(cpuOverNanos) + " ms";
            if (cpuNanos * 2 >= cpuOverNanos) {
                return "busy: " + cpu;
            }
            if (state != Thread.State.RUNNABLE) {
                return "waiting (thread state " + state + ", " + cpu + ")";
            }
            return "waiting in a system call, or not given a CPU (" + cpu + ")";
        }

        String describe() {
            StringBuilder text = new StringBuilder();
            text.append("event loop ").append(thread).append(" has not run its tasks for ")
                    .append(TimeUnit.NANOSECONDS.toMillis(nanos)).append(" ms: every connection on it waits.");
            if (waitingForIo()) {
                return text.append(" It is waiting for I/O, not running code: the thread is not getting a CPU"
                        + " (machine or CPU quota saturated?)").toString();
            }
            text.append(" It is ").append(doing()).append(", in:");
            for (int i = 0; i < Math.min(stack.length, STACK_FRAMES); i++) {
                text.append("\n\tat ").append(stack[i]);
            }
            if (stack.length > STACK_FRAMES) {
                text.append("\n\t... ").append(stack.length - STACK_FRAMES).append(" more");
            }
            return text.toString();
        }
    }

    private final List<Beat> beats = new ArrayList<>();
    private final long warnAfterNanos;
    private final long beatNanos;
    private final Consumer<Stall> onStall;
    private final Consumer<Pause> onPause;
    private final Thread watcher;
    private volatile boolean closed;

    /** A pause of the whole process: how long the watcher itself was held, and garbage collection meanwhile. */
    record Pause(long nanos, long cpuNanos) {
        String describe() {
            String cpu = cpuNanos < 0 ? "" : " The process used " + TimeUnit.NANOSECONDS.toMillis(cpuNanos)
                    + " ms of CPU meanwhile: time the JVM's own threads ran (garbage collection, compilation);"
                    + " the rest it had no CPU (a saturated machine, a used-up CPU quota, a stopped process).";
            return "the whole process was held for " + TimeUnit.NANOSECONDS.toMillis(nanos)
                    + " ms: every connection waited." + cpu;
        }
    }

    /** Watches every loop of {@code loops}; stalls and process pauses longer than {@code warnAfter} are logged. */
    static LoopStallWatch start(EventExecutorGroup loops, Duration warnAfter) {
        return new LoopStallWatch(loops, warnAfter.toNanos(), BEAT_NANOS,
                stall -> log.warn(stall.describe()), pause -> log.warn(pause.describe()));
    }

    LoopStallWatch(EventExecutorGroup loops, long warnAfterNanos, long beatNanos, Consumer<Stall> onStall,
                   Consumer<Pause> onPause) {
        this.warnAfterNanos = warnAfterNanos;
        this.beatNanos = beatNanos;
        this.onStall = onStall;
        this.onPause = onPause;
        for (EventExecutor loop : loops) {
            beats.add(new Beat(loop));
        }
        watcher = new Thread(this::watch, "sluice-loop-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** Each loop's largest lag of about the last ten seconds, by thread name; a stall in progress counts. */
    Map<String, Double> lagSeconds() {
        Map<String, Double> lags = new LinkedHashMap<>();
        long now = System.nanoTime();
        for (Beat beat : beats) {
            if (beat.thread != null) {
                lags.put(beat.thread.getName(), beat.recentLagNanos(now) / 1e9);
            }
        }
        return lags;
    }

    /** Stalls reported since the start, all loops together. */
    long stalls() {
        long stalls = 0;
        for (Beat beat : beats) {
            stalls += beat.stalls;
        }
        return stalls;
    }

    /**
     * A loop is only blamed for silence the watcher saw while it ran itself. When the watcher wakes much later
     * than it asked to, every thread of the process was held (a garbage collection, a CPU quota used up, a
     * stopped process): that is reported as such, and the loops' silence is counted again from then on.
     */
    private void watch() {
        long pause = Math.max(1, Math.min(warnAfterNanos / 4, TimeUnit.MILLISECONDS.toNanos(250)));
        long cpu = cpuNanos(OWN_STAT);
        long wakeAt = System.nanoTime();
        while (!closed) {
            long now = System.nanoTime();
            long cpuNow = cpuNanos(OWN_STAT);
            long late = now - wakeAt;
            if (late > warnAfterNanos / 2) {
                for (Beat beat : beats) {
                    beat.excuse(now);
                }
                if (late > warnAfterNanos) {
                    onPause.accept(new Pause(late, cpu < 0 || cpuNow < 0 ? -1 : cpuNow - cpu));
                }
            }
            cpu = cpuNow;
            for (Beat beat : beats) {
                beat.check(now);
            }
            wakeAt = System.nanoTime() + pause;
            try {
                TimeUnit.NANOSECONDS.sleep(pause);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * CPU time (user and system) from a procfs {@code stat} file, of the process or of one of its threads; -1
     * without procfs. Read here rather than through {@code java.lang.management}, whose platform beans load
     * java.util.logging and JMX at start, which this process otherwise never needs.
     */
    private static long cpuNanos(Path stat) {
        if (stat == null) {
            return -1;
        }
        try {
            String text = Files.readString(stat);
            String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
        for (Beat beat : beats) {
            beat.cancel();
        }
    }

    /**
     * One loop's beat. The beat runs on the loop and writes its fields there; the watcher and scrapes read them
     * (volatile, one writer each, so no lock and nothing on the loop waits for them).
     */
    private final class Beat implements Runnable {
        private final ScheduledFuture<?> task;
        private volatile Thread thread;
        /** The loop thread's procfs {@code stat} file, found by its first beat; null without procfs. */
        private volatile Path stat;
        /** When the beat last ran; 0 until it first has. */
        private volatile long lastBeatAt;
        private volatile long windowStart;
        private volatile long windowLag;
        private volatile long previousWindowLag;
        /** Written by the watcher only: the beat a reported stall followed, and when silence counts from. */
        private long reportedStallOf;
        private long excusedUntil;
        /** Written by the watcher only: the beat after which a stall looked likely, when, and the CPU time then. */
        private long suspectedBeat;
        private long suspectedAt;
        private long cpuAtSuspicion = -1;
        private volatile long stalls;

        Beat(EventExecutor loop) {
            excusedUntil = System.nanoTime();
            task = loop.scheduleWithFixedDelay(this, 0, beatNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void run() {
            long now = System.nanoTime();
            if (thread == null) {
                stat = ownStat();
                thread = Thread.currentThread();
                windowStart = now;
            } else {
                record(now, now - lastBeatAt - beatNanos);
            }
            lastBeatAt = now;
        }

        /** This thread's own stat file: {@code /proc/thread-self} names it (a link within procfs, no disk). */
        private Path ownStat() {
            try {
                return Path.of("/proc/self/task").resolve(Files.readSymbolicLink(Path.of("/proc/thread-self"))
                        .getFileName()).resolve("stat");
            } catch (IOException | UnsupportedOperationException e) {
                return null;
            }
        }

        private void record(long now, long lag) {
            if (now - windowStart >= LAG_WINDOW_NANOS) {
                previousWindowLag = windowLag;
                windowLag = 0;
                windowStart = now;
            }
            if (lag > windowLag) {
                windowLag = lag;
            }
        }

        long recentLagNanos(long now) {
            long ongoing = lastBeatAt == 0 ? 0 : now - lastBeatAt - beatNanos;
            return Math.max(Math.max(windowLag, previousWindowLag), Math.max(0, ongoing));
        }

        void check(long now) {
            long last = lastBeatAt;
            Thread loopThread = thread;
            if (last == 0 || loopThread == null) {
                return;
            }
            if (reportedStallOf != 0 && reportedStallOf != last) {
                log.info("event loop {} runs its tasks again after a stall of {} ms", loopThread.getName(),
                        TimeUnit.NANOSECONDS.toMillis(last - reportedStallOf - beatNanos));
                reportedStallOf = 0;
            }
            long silent = now - (excusedUntil - last > 0 ? excusedUntil : last) - beatNanos;
            if (silent > warnAfterNanos / 2 && suspectedBeat != last) {
                // the thread's CPU is read only once a stall is likely, not on every round
                suspectedBeat = last;
                suspectedAt = now;
                cpuAtSuspicion = cpuNanos(stat);
            }
            if (silent > warnAfterNanos && reportedStallOf == 0) {
                reportedStallOf = last;
                stalls++;
                StackTraceElement[] stack = loopThread.getStackTrace();
                long cpu = cpuNanos(stat);
                long used = cpu < 0 || cpuAtSuspicion < 0 ? -1 : cpu - cpuAtSuspicion;
                onStall.accept(new Stall(loopThread.getName(), silent, used, now - suspectedAt,
                        loopThread.getState(), stack));
            }
        }

        /** The process was held until {@code now}: the loop's silence before it is not the loop's doing. */
        void excuse(long now) {
            excusedUntil = now;
        }

        void cancel() {
            task.cancel(false);
        }
    }
}
