package io.sluice.server;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs the reloads SIGHUP asks for, one at a time on one thread, and folds the signals that arrive while
 * a reload waits to start into that reload: it reads the file after they came, so it applies what each of
 * them asked for. A signal that arrives while a reload runs queues one more, which reads the file again.
 * At most one reload runs and one waits, however fast the signals come: given a thread each, a script
 * sending SIGHUP in a loop made hundreds of threads queue for the reload, and reloads went on for seconds
 * after its last signal.
 */
final class SignalledReloads {
    private final AtomicBoolean waiting = new AtomicBoolean();
    /** Made on the first signal, then kept: one idle thread is cheaper than one made per storm. */
    private final ExecutorService thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(), runnable -> {
                Thread made = new Thread(runnable, "sluice-sighup");
                made.setDaemon(true);
                return made;
            });
    private final Runnable reload;

    SignalledReloads(Runnable reload) {
        this.reload = reload;
    }

    /** A signal came: reloads soon, unless a reload that has not read the file yet is waiting already. */
    void signalled() {
        if (waiting.compareAndSet(false, true)) {
            thread.execute(() -> {
                // cleared before the file is read: a signal from now on needs a reload after this one
                waiting.set(false);
                reload.run();
            });
        }
    }
}
