/*
 * Why a job stopped before completion without being the worker's fault: the batch was
 * cancelled, another worker took the expired lease over, or the worker is shutting down.
 */
package dev.hookline.worker;

/** A job ended early; nothing was recorded for it by this worker. */
public final class JobStopped extends RuntimeException {
    /** The cause of the stop. */
    public enum Kind { CANCELLED, LOST, RELEASED }

    private final Kind kind;

    public JobStopped(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
