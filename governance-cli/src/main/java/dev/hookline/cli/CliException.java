/*
 * A failure the CLI reports as one line on stderr with an exit code, the way shell tools do
 * (2 = usage or unreadable input, 1 = the registry refused or the operation failed).
 */
package dev.hookline.cli;

/** A user-facing failure with its exit code; the message is printed as {@code hookline: <message>}. */
public final class CliException extends RuntimeException {
    /** Exit code for bad flags, arguments or input files. */
    public static final int USAGE = 2;
    /** Exit code for a refused or failed operation. */
    public static final int FAILED = 1;

    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    /** A usage error (exit 2). */
    public static CliException usage(String message) {
        return new CliException(USAGE, message);
    }

    /** A failed operation (exit 1). */
    public static CliException failed(String message) {
        return new CliException(FAILED, message);
    }

    public int exitCode() {
        return exitCode;
    }
}
