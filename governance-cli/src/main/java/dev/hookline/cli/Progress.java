/*
 * A progress display for polling loops: on a terminal one line redrawn in place, otherwise (a log,
 * a pipe) a new line only when the state or the decile changes, so logs stay short.
 */
package dev.hookline.cli;

import java.io.PrintStream;

/** Draws {@code [#####.....]  45%  label} on stderr. */
final class Progress {
    private static final int WIDTH = 30;
    private final PrintStream err;
    private final boolean terminal;
    private String lastKey = "";
    private boolean drawn;

    Progress(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** A display on stderr that redraws in place when stderr is a terminal. */
    static Progress onStderr(PrintStream err) {
        return new Progress(err, System.console() != null && err == System.err);
    }

    void show(int percent, String label) {
        int p = Math.max(0, Math.min(100, percent));
        int filled = p * WIDTH / 100;
        String line = "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + String.format("%3d%%", p) + "  "
                + label;
        if (terminal) {
            err.print("\r" + line + "\033[K");
            err.flush();
            drawn = true;
        } else {
            // counters in the label ("pretrain 9/832") do not make a new line; the state and decile do
            String key = label.replaceAll("\\d+", "#") + "/" + (p / 10);
            if (!key.equals(lastKey)) {
                err.println(line);
                lastKey = key;
            }
        }
    }

    /** Ends the in-place line (if any) so the next output starts on a fresh line. */
    void done() {
        if (terminal && drawn) {
            err.println();
            drawn = false;
        }
    }
}
