/*
 * Registry reachability as the worker's lease loop sees it. An unreachable registry (wrong URL,
 * registry down, bad token) must be visible in the worker's log at once and stay visible without
 * flooding it: the first failed lease attempt is logged at WARN immediately, later failures of
 * the same outage at most once per WorkerConfig.outageReport (with their count, the outage's
 * length and the last error), and the first success after an outage at INFO.
 */
package dev.hookline.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/** Tracks one worker's registry outages; thread-safe. */
public final class RegistryOutage {

    /**
     * What the worker knows about the registry now.
     *
     * @param reachable false from the first failed lease attempt until the next successful one
     * @param failures failed attempts in the current outage (0 when reachable)
     * @param totalFailures failed attempts since the worker started
     * @param downSince when the current outage began, or null
     * @param lastError the last failure's message, or null
     */
    public record Status(boolean reachable, long failures, long totalFailures, Instant downSince, String lastError) {
    }

    private final Logger log;
    private final String worker;
    private final long reportNanos;
    private final LongSupplier nanoClock;
    private final WorkerMetrics metrics;
    private long failures;
    private long totalFailures;
    private long downSinceNanos;
    private long lastReportNanos;
    private Instant downSince;
    private String lastError;

    /**
     * @param log where the reports go
     * @param worker worker name shown in each report
     * @param report minimum time between two warnings of one outage
     * @param metrics receives reachability and failure counts (may be null)
     * @param nanoClock monotonic clock in nanoseconds (System::nanoTime)
     */
    public RegistryOutage(Logger log, String worker, Duration report, WorkerMetrics metrics, LongSupplier nanoClock) {
        this.log = log;
        this.worker = worker;
        this.reportNanos = report.toNanos();
        this.metrics = metrics;
        this.nanoClock = nanoClock;
    }

    /** Records a failed registry call; logs at WARN on the first of an outage and then at the bounded rate. */
    public synchronized void failure(String error, Duration retryIn) {
        long now = nanoClock.getAsLong();
        totalFailures++;
        lastError = error;
        if (metrics != null) {
            metrics.registryFailure();
        }
        if (failures++ == 0) {
            downSinceNanos = now;
            lastReportNanos = now;
            downSince = Instant.now();
            log.warn("worker={} event=registry-unreachable error=\"{}\"; retrying in {} s (backoff up to 30 s), "
                    + "reporting again every {} s while it lasts", worker, error, seconds(retryIn.toNanos()),
                    seconds(reportNanos));
            return;
        }
        if (now - lastReportNanos >= reportNanos) {
            lastReportNanos = now;
            log.warn("worker={} event=registry-still-unreachable failures={} for={} s last-error=\"{}\"; retrying in {} s",
                    worker, failures, seconds(now - downSinceNanos), error, seconds(retryIn.toNanos()));
        }
    }

    /** Records a successful registry call; logs at INFO when it ends an outage. */
    public synchronized void success() {
        if (metrics != null) {
            metrics.registryUp(true);
        }
        if (failures == 0) {
            return;
        }
        log.info("worker={} event=registry-reachable after failures={} over {} s (last error \"{}\")", worker, failures,
                seconds(nanoClock.getAsLong() - downSinceNanos), lastError);
        failures = 0;
        downSince = null;
    }

    /** The current state. */
    public synchronized Status status() {
        return new Status(failures == 0, failures, totalFailures, downSince, lastError);
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e9);
    }
}
