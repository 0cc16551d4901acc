package dev.hookline.registry.batch;

/**
 * Life of an edit batch: SUBMITTED -> QUEUED -> RUNNING -> COMPUTED -> VALIDATED | REJECTED,
 * or FAILED | CANCELLED.
 */
public enum BatchStatus {
    SUBMITTED, QUEUED, RUNNING, COMPUTED, VALIDATED, REJECTED, FAILED, CANCELLED;

    /** Not yet computed and not given up: later batches on the branch wait for it. */
    public boolean pending() {
        return this == SUBMITTED || this == QUEUED || this == RUNNING;
    }
}
