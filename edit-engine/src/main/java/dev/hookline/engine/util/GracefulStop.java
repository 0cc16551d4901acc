/*
 * Ctrl-C / SIGTERM during native work. When the JVM shuts down, exit() tears down libtorch's
 * static objects while the main thread may still be inside a native call (a backward pass): that
 * ended two CPU pretrainings with a SIGSEGV in at::accelerator::getAccelerator and an hs_err file
 * instead of a clean stop. A shutdown hook that asks long loops to stop at their next step and
 * waits for them to leave native code makes the stop orderly.
 */
package dev.hookline.engine.util;

import java.util.concurrent.TimeUnit;

/**
 * A process-wide stop request raised by the JVM's shutdown (a signal or {@code System.exit}).
 * Long loops that make native calls run inside a {@link #enter() section} and poll
 * {@link #requested()} between steps; the shutdown hook raises the request and waits (up to
 * {@link #WAIT_SECONDS}) until every section has closed, so the process exits only once no
 * thread is inside libtorch.
 */
public final class GracefulStop {

    /** How long the shutdown hook waits for open sections before letting the JVM exit anyway. */
    public static final long WAIT_SECONDS = 120;

    private static volatile boolean requested;
    private static int open;
    private static boolean installed;
    private static final Object LOCK = new Object();

    private GracefulStop() {}

    /** An open section; closing it tells the shutdown hook this thread left native work. */
    public interface Section extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Opens a section, installing the shutdown hook on first use. Close it (try-with-resources)
     * before the thread calls {@code System.exit}: during a shutdown that call blocks until the
     * hooks finish, and the hook waits for the section.
     */
    public static Section enter() {
        synchronized (LOCK) {
            if (!installed) {
                Runtime.getRuntime().addShutdownHook(new Thread(GracefulStop::onShutdown, "hookline-graceful-stop"));
                installed = true;
            }
            open++;
        }
        boolean[] closed = {false};
        return () -> {
            synchronized (LOCK) {
                if (!closed[0]) {
                    closed[0] = true;
                    open--;
                    LOCK.notifyAll();
                }
            }
        };
    }

    /** Whether the process is shutting down: a loop should stop at its next step. */
    public static boolean requested() {
        return requested;
    }

    private static void onShutdown() {
        requested = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        synchronized (LOCK) {
            while (open > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(LOCK, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
