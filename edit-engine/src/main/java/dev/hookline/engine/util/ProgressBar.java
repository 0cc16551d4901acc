/*
 * A one-line progress bar on stderr, redrawn at most every 250 ms.
 */
package dev.hookline.engine.util;

import java.io.PrintStream;
import java.util.Locale;

/** Progress display for long loops; {@link #update} is cheap to call every step. */
public final class ProgressBar implements AutoCloseable {
    private static final long REDRAW_NANOS = 250_000_000L;
    private final PrintStream out;
    private final String label;
    private final long total;
    private final long startNanos = System.nanoTime();
    private long lastDraw;
    private boolean drawn;

    public ProgressBar(PrintStream out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = Math.max(1, total);
    }

    /** Shows {@code done} of total with a free-form suffix (e.g. loss and tokens/s). */
    public void update(long done, String suffix) {
        long now = System.nanoTime();
        if (drawn && now - lastDraw < REDRAW_NANOS && done < total) {
            return;
        }
        lastDraw = now;
        drawn = true;
        int width = 30;
        int filled = (int) Math.min(width, width * done / total);
        double elapsed = (now - startNanos) / 1e9;
        double eta = done > 0 ? elapsed * (total - done) / done : 0;
        out.print(String.format(Locale.ROOT, "\r%s [%s%s] %d/%d %s elapsed %.0fs eta %.0fs   ",
                label, "#".repeat(filled), ".".repeat(width - filled), done, total, suffix, elapsed, eta));
        out.flush();
    }

    @Override
    public void close() {
        if (drawn) {
            out.println();
        }
    }
}
