package io.sluice.blocking;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.sluice.config.BlockingPoolConfig;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one place where blocking calls run (file system look-ups, certificate loading, disk logs). A task
 * submitted from an event loop completes a promise of that loop, so its listeners run back on the loop
 * and the handler's state stays confined to one thread. The queue is bounded: when it is full the promise
 * fails at once with {@link RejectedExecutionException} (callers answer 503) instead of letting latency
 * grow without bound.
 */
public final class BlockingPool implements AutoCloseable {
    private final ThreadPoolExecutor executor;
    private final LongAdder rejected = new LongAdder();

    public BlockingPool(BlockingPoolConfig config) {
        AtomicInteger counter = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(config.threads(), config.threads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.queue()), runnable -> {
                    Thread thread = new Thread(runnable, "sluice-blocking-" + counter.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.executor.allowCoreThreadTimeOut(true);
    }

    /** Runs {@code task} on the pool; the returned future's listeners run on {@code loop}. */
    public <T> Future<T> submit(Callable<T> task, EventExecutor loop) {
        Promise<T> promise = loop.newPromise();
        try {
            executor.execute(() -> {
                try {
                    promise.trySuccess(task.call());
                } catch (Throwable t) {
                    promise.tryFailure(t);
                }
            });
        } catch (RejectedExecutionException e) {
            rejected.increment();
            promise.tryFailure(e);
        }
        return promise;
    }

    public int queueDepth() {
        return executor.getQueue().size();
    }

    public int activeThreads() {
        return executor.getActiveCount();
    }

    public long rejectedTasks() {
        return rejected.sum();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
