/*
 * The background heartbeat of one leased job: proves the holder alive, extends the lease and
 * reports phase + percent. The registry answers 409 once the lease is not current (the batch
 * was cancelled, or the lease expired and another worker took the job over); the job then stops
 * at its next phase boundary without writing anything.
 */
package dev.hookline.worker;

import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Heartbeats a lease every {@code interval} until closed. */
final class Heartbeat implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Heartbeat.class);

    private final RegistryClient client;
    private final long jobId;
    private final String leaseToken;
    private final int leaseSeconds;
    private final ScheduledExecutorService timer;
    private volatile String phase = "leased";
    private volatile int percent;
    private volatile String lostReason;
    private volatile boolean cancelled;
    private volatile boolean closed;

    Heartbeat(RegistryClient client, long jobId, String leaseToken, int leaseSeconds, Duration interval) {
        this.client = client;
        this.jobId = jobId;
        this.leaseToken = leaseToken;
        this.leaseSeconds = leaseSeconds;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "heartbeat-job-" + jobId);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::beat, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Sets the progress reported from now on and sends it at once. */
    void progress(String phase, int percent) {
        this.phase = phase;
        this.percent = percent;
        timer.execute(this::beat);
    }

    /** Throws when the lease is gone: {@link JobStopped} with the reason the registry gave. */
    void check() {
        String reason = lostReason;
        if (reason != null) {
            throw new JobStopped(cancelled ? JobStopped.Kind.CANCELLED : JobStopped.Kind.LOST, reason);
        }
    }

    /** True once the registry refused a heartbeat (cancelled or taken over). */
    boolean lost() {
        return lostReason != null;
    }

    private void beat() {
        if (lostReason != null) {
            return;
        }
        try {
            client.post("/api/jobs/" + jobId + "/heartbeat", java.util.Map.of("leaseToken", leaseToken, "phase", phase,
                    "percent", percent, "leaseSeconds", leaseSeconds));
        } catch (RegistryException e) {
            if (e.isConflict()) {
                String detail = e.detail() == null ? e.getMessage() : e.detail();
                cancelled = detail.contains("cancelled");
                lostReason = detail;
                LOG.warn("job={} phase={} event=lease-lost reason=\"{}\"", jobId, phase, detail);
            } else if (!closed) {
                // Registry unreachable or 5xx: keep the job; the next beat tries again before the lease runs out.
                LOG.warn("job={} phase={} event=heartbeat-failed error=\"{}\"", jobId, phase, e.getMessage());
            }
        } catch (RuntimeException e) {
            if (closed) {
                return;
            }
            LOG.warn("job={} phase={} event=heartbeat-failed error=\"{}\"", jobId, phase, e.toString());
        }
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
